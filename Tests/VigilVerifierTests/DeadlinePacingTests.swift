import Testing
import VigilVerifier

@Suite("Deadline-driven pacing", .timeLimit(.minutes(1)))
struct DeadlinePacingTests {
    /// Runs a pass second by second at the paced rate; `total(t)` is the pass's
    /// size as estimated at second t. Returns the second it finished (nil: not
    /// within `limit`) and every plan made.
    static func simulate(_ pacing: DeadlinePacing, limit: Int, total: (Int) -> Double) -> (finished: Int?, plans: [DeadlinePacing.Plan]) {
        var done = 0.0
        var plans: [DeadlinePacing.Plan] = []
        for t in 0..<limit {
            let plan = pacing.plan(total: total(t), done: done, elapsed: .seconds(t))
            plans.append(plan)
            done += plan.rate
            if done >= total(t) { return (t + 1, plans) }
        }
        return (nil, plans)
    }

    @Test func aPassMeetsItsDeadlineWhenTheDataDoublesMidPass() {
        let pacing = DeadlinePacing(period: .seconds(100), floor: 1)
        let (finished, plans) = Self.simulate(pacing, limit: 200) { $0 < 50 ? 1_000 : 2_000 }
        #expect(plans[0].rate == 10, "1,000 units over 100 s")
        #expect(plans[50].rate > 20, "the rest of the doubled pass (1,500 units) over the 50 s left")
        #expect(finished.map { $0 <= 100 } == true, "finished at second \(finished.map(String.init) ?? "never")")
        #expect(plans.allSatisfy { !$0.unreachable })
    }

    @Test func aCapThatMakesTheDeadlineUnreachableIsReportedAndHeld() {
        let pacing = DeadlinePacing(period: .seconds(100), floor: 1, cap: 15)
        let (finished, plans) = Self.simulate(pacing, limit: 200) { $0 < 50 ? 1_000 : 2_000 }
        #expect(!plans[0].unreachable, "1,000 units need 10/s, under the cap")
        #expect(plans[50].unreachable, "the doubled pass needs 30/s over the cap of 15")
        #expect(plans[50].projectedFinish > plans[50].deadline)
        #expect(plans.allSatisfy { $0.rate <= 15 }, "never above the cap, however late")
        #expect(finished.map { $0 > 100 } == true)
    }

    @Test func anEmptyOrFinishedPassGoesAtTheFloorAndALatePassAtTheCap() {
        let pacing = DeadlinePacing(period: .seconds(100), floor: 5, cap: 50)
        let empty = pacing.plan(total: 0, done: 0, elapsed: .zero)
        #expect(empty.rate == 5)
        #expect(empty.deadline == 100)
        #expect(empty.projectedFinish == 0)
        #expect(!empty.unreachable)
        let late = pacing.plan(total: 1_000, done: 900, elapsed: .seconds(150))
        #expect(late.rate == 50)
        #expect(late.unreachable)
        #expect(late.projectedFinish == 152)
    }
}

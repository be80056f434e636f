import Logging
import Synchronization
import Testing
import VigilTestSupport
import VigilVerifier

@Suite("Verifier runtime: a paced pass re-derives its rate as the data grows", .timeLimit(.minutes(2)))
struct RunnerPacingTests {
    /// A pass of 100 items due in 100 s; once under way its estimate becomes 2,000.
    static func growMidPass(cap: Double?) async throws -> (before: DeadlinePacing.Plan?, after: DeadlinePacing.Plan?) {
        let plans = Mutex<(DeadlinePacing.Plan?, DeadlinePacing.Plan?)>((nil, nil))
        try await RunnerRecoveryTests.withLedger { ledger, _ async throws in
            let check = CountingCheck(count: 100_000)
            check.estimate.withLock { $0 = 100 }
            var settings = VerifierRunner<CountingCheck>.Settings(passInterval: .seconds(3600), sweepPeriod: .seconds(100))
            settings.sizedRateFloor = 1
            settings.maxRate = cap
            settings.reestimateInterval = .zero
            let runner = VerifierRunner(check: check, ledger: ledger, limiter: SharedRateLimiter(rate: nil), settings: settings, logger: Logger(label: "test"))
            let task = Task { try await runner.run() }
            defer { task.cancel() }
            #expect(await eventually(timeout: .seconds(30)) { check.startedFrom.withLock { $0.count } >= 5 })
            let before = runner.pacePlan
            check.estimate.withLock { $0 = 2_000 }
            #expect(await eventually(timeout: .seconds(30)) { (runner.pacePlan?.rate ?? 0) >= min(cap ?? .infinity, 15) })
            let after = runner.pacePlan
            plans.withLock { $0 = (before, after) }
        }
        return plans.withLock { $0 }
    }

    @Test("twenty times the data mid-pass: the rate rises to meet the same deadline")
    func rateRisesToMeetTheDeadline() async throws {
        let (before, after) = try await Self.growMidPass(cap: nil)
        #expect(before.map { $0.rate <= 1.1 } == true, "100 items over 100 s: about 1 a second (\(String(describing: before)))")
        #expect(after.map { $0.rate >= 15 && !$0.unreachable && $0.projectedFinish <= $0.deadline + 0.001 } == true, "\(String(describing: after))")
    }

    @Test("the same growth under a cap: held at the cap, the deadline reported unreachable")
    func capMakesTheDeadlineUnreachable() async throws {
        let (_, after) = try await Self.growMidPass(cap: 5)
        #expect(after?.rate == 5)
        #expect(after?.unreachable == true)
        #expect(after.map { $0.projectedFinish > $0.deadline } == true)
    }
}

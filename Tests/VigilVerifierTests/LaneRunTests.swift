import Synchronization
import Testing
import VigilPostgres
import VigilTestSupport
@testable import VigilVerifier

/// The one loop every lane runs in: a failing round shows on health with its
/// reason and clears when a round goes through; a stuck round shows overdue;
/// stopping is no failure; a permanent failure is not retried at once.
@Suite("Verifier lanes: health, overdue, stopping", .timeLimit(.minutes(2)))
struct LaneRunTests {
    struct Flaky: RetriableError, CustomStringConvertible {
        var isRetriable: Bool
        var description: String { isRetriable ? "index briefly unreachable" : "permission refused" }
    }

    /// Bookkeeping on a database nobody connects to: these lanes record nothing.
    static func book() -> VerifierBookkeeping {
        let ledger = VerifierLedger(databaseURL: "postgresql://nobody@127.0.0.1:1/none", verifier: "lane-test", scope: "test")
        return VerifierBookkeeping(ledger: ledger, retry: RetryBackoff(first: .milliseconds(20), longest: .milliseconds(40), afterPermanent: .milliseconds(40)), logger: .init(label: "lane-test"))
    }

    @Test("a lane whose round keeps failing is unhealthy with the reason, retried by kind, and healthy again once a round goes through")
    func failingRoundShowsAndRecovers() async throws {
        let book = Self.book()
        let failing = Atomic(true)
        let lane = Task {
            await book.runLane("stage 1m") {
                if failing.load(ordering: .relaxed) { throw Flaky(isRetriable: true) }
                return .milliseconds(10)
            }
        }
        #expect(await eventually { (book.failures(lane: "stage 1m")[.retriable] ?? 0) >= 3 }, "retried after its backoff")
        let report = book.health()
        #expect(!report.healthy)
        #expect(report.detail.contains("index briefly unreachable"), "the reason: \(report.detail)")
        failing.store(false, ordering: .relaxed)
        #expect(await eventually { book.health().healthy }, "healthy once a round goes through: \(book.health().detail)")
        lane.cancel()
        await lane.value
        #expect(book.failures(lane: "stage 1m")[.permanent] == nil)
    }

    @Test("a round stuck past overdueAfter shows the lane overdue; it is healthy again when the round finishes")
    func stuckRoundIsOverdue() async throws {
        let book = Self.book()
        let stuck = Atomic(true)
        let lane = Task {
            await book.runLane("recent", overdueAfter: .milliseconds(200)) {
                while stuck.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(10)) }
                return .milliseconds(10)
            }
        }
        #expect(book.health().healthy, "not overdue before overdueAfter")
        #expect(await eventually { book.health().detail.contains("overdue") })
        #expect(!book.health().healthy)
        stuck.store(false, ordering: .relaxed)
        #expect(await eventually { book.health().healthy }, "\(book.health().detail)")
        lane.cancel()
        await lane.value
        #expect(book.failures(lane: "recent").isEmpty, "a stuck round is overdue, not a failure")
    }

    @Test("a lane stopped mid-round (a cancelled read) records no failure and is not left overdue")
    func stoppingIsNoFailure() async throws {
        let book = Self.book()
        let started = Atomic(false)
        let lane = Task {
            await book.runLane("events", overdueAfter: .seconds(30)) {
                started.store(true, ordering: .relaxed)
                try await Task.sleep(for: .seconds(600))  // throws CancellationError when stopped
                return .zero
            }
        }
        #expect(await eventually { started.load(ordering: .relaxed) })
        let stopAsked = ContinuousClock.now
        lane.cancel()
        await lane.value
        #expect(ContinuousClock.now - stopAsked < .seconds(2), "the lane stops at once")
        #expect(book.failures(lane: "events").isEmpty)
        #expect(book.health().healthy, "\(book.health().detail)")
    }

    @Test("an item's retriable failure is retried up to its attempts; a permanent one is recorded once and not retried")
    func attemptsByKind() async throws {
        let book = Self.book()
        let tries = Atomic(0)
        let retried = await book.attempt(lane: "events", times: 5) {
            if tries.add(1, ordering: .relaxed).newValue < 3 { throw Flaky(isRetriable: true) }
        }
        #expect(retried && tries.load(ordering: .relaxed) == 3)
        #expect(book.failures(lane: "events") == [.retriable: 2])
        #expect(book.health().healthy, "the item went through: \(book.health().detail)")
        tries.store(0, ordering: .relaxed)
        let refused = await book.attempt(lane: "reconcile", times: 5) {
            tries.add(1, ordering: .relaxed)
            throw Flaky(isRetriable: false)
        }
        #expect(!refused && tries.load(ordering: .relaxed) == 1)
        #expect(book.failures(lane: "reconcile") == [.permanent: 1])
        #expect(book.health().detail.contains("permission refused"))
    }
}

import Foundation
import Logging
import Synchronization
import Testing
import VigilPostgres
import VigilTestSupport
import VigilVerifier

/// A sweep over items 0..<count, one a step; its cursor is the next item.
/// Records the cursors it was stepped from and fails as it is told.
final class CountingCheck: SweepCheck {
    struct Cursor: Codable, Sendable { var next: Int }
    let count: Int
    let failures: Mutex<[any Error]>
    let startedFrom = Mutex<[Int?]>([])
    /// What `estimatePass` says (the data may grow under a pass).
    let estimate: Mutex<Double>

    init(count: Int, failing: [any Error] = []) {
        self.count = count
        failures = Mutex(failing)
        estimate = Mutex(Double(count))
    }

    func estimatePass() async throws -> PassEstimate { PassEstimate(units: estimate.withLock { $0 }, unit: .items) }

    func step(at cursor: Cursor?, limiter: SharedRateLimiter) async throws -> Step<Cursor> {
        startedFrom.withLock { $0.append(cursor?.next) }
        if let failure = failures.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { throw failure }
        let item = cursor?.next ?? 0
        var outcome = StepOutcome()
        outcome.items = 1
        return item + 1 >= count ? .complete(outcome) : .next(Cursor(next: item + 1), outcome)
    }
}

@Suite("Verifier runtime: restart, unreadable cursors and failures by kind", .timeLimit(.minutes(2)))
struct RunnerRecoveryTests {
    static func runner(_ check: CountingCheck, _ ledger: VerifierLedger, permanentDelay: Duration = .seconds(3600)) -> VerifierRunner<CountingCheck> {
        var settings = VerifierRunner<CountingCheck>.Settings(passInterval: .seconds(3600))
        settings.retryDelay = .milliseconds(10)
        settings.permanentFailureDelay = permanentDelay
        return VerifierRunner(check: check, ledger: ledger, limiter: SharedRateLimiter(rate: nil), settings: settings, logger: Logger(label: "test"))
    }

    static func withLedger(_ body: @escaping @Sendable (VerifierLedger, PostgresConnection) async throws -> Void) async throws {
        try await TestPostgres.shared.withDatabase { url in
            let db = try await PostgresConnection.connect(url: url)
            try await Migrator(set: .blockIndex).migrate(db)
            try await body(VerifierLedger(pool: PostgresPool(url: url, size: 2), verifier: "metadata-scanner", scope: "zone-a"), db)
        }
    }

    /// Runs `runner` until `condition` holds (bounded), then stops it.
    static func run(_ runner: VerifierRunner<CountingCheck>, until condition: () async throws -> Bool) async throws -> Bool {
        let task = Task { try await runner.run() }
        defer { task.cancel() }
        return try await eventually(timeout: .seconds(30), condition)
    }

    @Test("a stored cursor resumes the pass where it was; an unreadable one restarts it from the beginning, counted once")
    func resumeAndUnreadableCursor() async throws {
        try await Self.withLedger { ledger, db async throws in
            var pass = try await ledger.startOrResumePass()
            pass.cursor = try CursorEncoding.encode(CountingCheck.Cursor(next: 7), version: 1)
            pass.itemsChecked = 7
            try await ledger.save(pass)
            let resumed = CountingCheck(count: 10)
            #expect(try await Self.run(Self.runner(resumed, ledger)) { try await Self.complete(db, pass.id) })
            #expect(resumed.startedFrom.withLock { $0 } == [7, 8, 9], "resumed at the stored cursor")
            #expect(try await db.query("SELECT items_checked FROM passes WHERE id = $1", [.int64(pass.id)]).int(0, 0) == 10)

            // A cursor in the scanner's old hand-laid layout, 5 items into a pass.
            var old = try await ledger.startOrResumePass()
            old.cursor = [1] + [UInt8](repeating: 0xAB, count: 32) + [0, 0, 0, 0, 0xEE]
            old.itemsChecked = 5
            try await ledger.save(old)
            let restarted = CountingCheck(count: 10)
            #expect(try await Self.run(Self.runner(restarted, ledger)) { try await Self.complete(db, old.id) })
            #expect(restarted.startedFrom.withLock { $0 }.first == .some(nil), "restarted from the beginning")
            #expect(restarted.startedFrom.withLock { $0 }.count == 10)
            #expect(try await db.query("SELECT items_checked FROM passes WHERE id = $1", [.int64(old.id)]).int(0, 0) == 10,
                    "every item counted once: the restart zeroed the old pass's counts")
        }
    }

    @Test("a retriable failure backs off and retries the step; the pass completes with nothing skipped or counted twice")
    func retriableFailureRetriesTheStep() async throws {
        try await Self.withLedger { ledger, db async throws in
            let lost = PostgresError(code: .connection, message: "server closed the connection unexpectedly")
            let check = CountingCheck(count: 5, failing: [lost, lost, lost])
            let runner = Self.runner(check, ledger)
            #expect(try await Self.run(runner) { runner.passesCompleted == 1 })
            #expect(runner.book.failures(lane: "sweep") == [.retriable: 3])
            #expect(check.startedFrom.withLock { $0 } == [nil, nil, nil, nil, 1, 2, 3, 4], "the failed step is retried, then the pass goes on")
            #expect(try await db.query("SELECT items_checked FROM passes WHERE state = 'complete'").int(0, 0) == 5)
            #expect(runner.health().healthy, "healthy again once a step goes through")
        }
    }

    @Test("a permanent failure is recorded and shown in health, waits its long delay, and never stops the runner")
    func permanentFailureIsRecorded() async throws {
        try await Self.withLedger { ledger, _ async throws in
            let refused = PostgresError(code: .server, sqlState: "42501", message: "permission denied for table findings")
            let check = CountingCheck(count: 5, failing: [refused, refused])
            let runner = Self.runner(check, ledger, permanentDelay: .seconds(3600))
            let task = Task { try await runner.run() }
            #expect(await eventually(timeout: .seconds(30)) { runner.book.failures(lane: "sweep")[.permanent] == 1 })
            let health = runner.health()
            #expect(!health.healthy)
            #expect(health.detail.contains("not retriable"), "\(health.detail)")
            #expect(health.detail.contains("permission denied"), "\(health.detail)")
            // A retriable failure would be retried within 10 ms; this one waits its hour.
            try await Task.sleep(for: .milliseconds(500))
            #expect(check.startedFrom.withLock { $0 }.count == 1)
            task.cancel()
            #expect(try await task.value == (), "the runner ends only when cancelled, without throwing")
        }
    }

    static func complete(_ db: PostgresConnection, _ pass: Int64) async throws -> Bool {
        try await db.query("SELECT 1 FROM passes WHERE id = $1 AND state = 'complete'", [.int64(pass)]).count == 1
    }
}

import Testing
import VigilPostgres
import VigilTestSupport

/// The pool against a real PostgreSQL: waiting, timing out, cancelling and
/// replacing a connection the server killed.
@Suite(.timeLimit(.minutes(2))) struct PostgresPoolTests {
    static func backendPID(_ pool: PostgresPool) async throws -> Int {
        try await pool.withConnection { try await $0.query("SELECT pg_backend_pid()").int(0, 0) }
    }

    @Test func aBusyPoolTimesOutWithARetriableErrorAndCancelledWaitersLeaveTheLine() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let pool = PostgresPool(url: url, size: 1, leaseTimeout: .milliseconds(300))
            let holding = AsyncStream<Void>.makeStream()
            let release = AsyncStream<Void>.makeStream()
            let holder = Task {
                try await pool.withConnection { _ in
                    holding.continuation.yield()
                    for await _ in release.stream { break }
                }
            }
            for await _ in holding.stream { break }

            let error = await #expect(throws: PostgresError.self) { try await Self.backendPID(pool) }
            #expect(error?.code == .leaseTimeout && error?.isRetriable == true)
            #expect(error?.description.contains("busy") == true)

            // A waiter cancelled while in line gets CancellationError, not the connection.
            let cancelled = Task { try await Self.backendPID(pool) }
            try await Task.sleep(for: .milliseconds(50))
            cancelled.cancel()
            await #expect(throws: CancellationError.self) { try await cancelled.value }

            release.continuation.yield()
            try await holder.value
            // The connection came back to the pool (not to the cancelled waiter): served at once.
            let clock = ContinuousClock()
            let started = clock.now
            _ = try await Self.backendPID(pool)
            #expect(clock.now - started < .milliseconds(300))
        }
    }

    @Test func aConnectionTheServerKilledIsReplaced() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let pool = PostgresPool(url: url, size: 1)
            let first = try await Self.backendPID(pool)
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try await $0.simpleQuery("SELECT pg_terminate_backend(pg_backend_pid())") }
            }
            #expect(error?.isRetriable == true, "the session was ended under the query: \(String(describing: error))")
            let second = try await Self.backendPID(pool)
            #expect(second != first, "the broken connection was dropped and a new one opened")
        }
    }
}

import ServiceLifecycle

/// The pool as a daemon's service: open for the daemon's life, closed at
/// graceful shutdown (list it before the services that use it, so it closes
/// after them).
extension PostgresPool: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        close()
    }

    /// Closes the idle connections and fails every request in line; a
    /// connection still leased is closed when it comes back, and a new lease
    /// fails with `pool_closed`.
    public func close() {
        closed.store(true, ordering: .releasing)
        // The idle connections close (PQfinish) as the drained list goes.
        let waiting = machine.withLock { $0.drain() }.waiting
        for waiter in waiting { waiter.resume(throwing: PostgresError.poolClosed) }
    }

    /// Runs a trivial statement on a pooled connection: throws what keeps the
    /// pool from reaching the database (for a health check).
    public func ping() async throws {
        try await withConnection { _ = try await $0.query("SELECT 1") }
    }
}

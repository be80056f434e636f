import Foundation
import VigilCore
import VigilPostgres

/// The test suite's private PostgreSQL: started from the Debian binaries on the
/// first request, on a free loopback port, stopped when the test process exits.
/// Each test gets its own database, dropped afterwards.
public actor TestPostgres {
    public static let shared = TestPostgres()
    private var server: PrivatePostgres?

    /// Runs `body` with the URL of a fresh, empty database.
    public func withDatabase<T: Sendable>(
        _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let server = try start()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await server.createDatabase(name)
        do {
            let result = try await body(server.url(database: name))
            try? await server.dropDatabase(name)
            return result
        } catch {
            try? await server.dropDatabase(name)
            throw error
        }
    }

    /// The running server, started on first use.
    public func start() throws -> PrivatePostgres {
        if let server { return server }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-test-pg-\(UUID().uuidString)")
        let started = try PrivatePostgres.start(in: directory, fast: true)
        startedServer.withLock { $0 = started }
        atexit {
            guard let server = startedServer.withLock({ $0 }) else { return }
            try? server.stop(immediate: true)
            try? FileManager.default.removeItem(at: server.directory)
        }
        server = started
        return started
    }
}

private let startedServer = LockedValue<PrivatePostgres?>(nil)

import Foundation
import VigilCore
import VigilPostgres

/// The test suite's private PostgreSQL: started from the Debian binaries on the
/// first request, on a free loopback port, stopped when the test process exits.
/// Each test gets its own database, dropped afterwards. Authentication is scram:
/// the URLs name the server's passfile, which holds the superuser's password and
/// every component role's (`DatabaseRole.url(_:)` turns a URL into a role's).
public actor TestPostgres {
    public static let shared = TestPostgres()
    private var starting: Task<PrivatePostgres, any Error>?

    /// Runs `body` with the URL of a fresh, empty database.
    public func withDatabase<T: Sendable>(
        _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let server = try await start()
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

    /// The running server, started on first use, its component roles made and
    /// given their passwords (roles are cluster-wide: a test's own database
    /// migrated later finds them). Concurrent first callers share one start.
    public func start() async throws -> PrivatePostgres {
        if starting == nil { starting = Task { try await Self.launch() } }
        return try await starting!.value
    }

    private static func launch() async throws -> PrivatePostgres {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-test-pg-\(UUID().uuidString)")
        let server = try PrivatePostgres.start(in: directory, fast: true)
        startedServer.withLock { $0 = server }
        atexit {
            guard let server = startedServer.withLock({ $0 }) else { return }
            try? server.stop(immediate: true)
            try? FileManager.default.removeItem(at: server.directory)
        }
        try await server.createDatabase("roles")
        try await Migrator(set: .blockIndex).migrate(try await PostgresConnection.connect(url: server.url(database: "roles")))
        try await server.setRolePasswords()
        try await server.dropDatabase("roles")
        return server
    }
}

private let startedServer = LockedValue<PrivatePostgres?>(nil)

import Foundation
import VigilCore

/// A private PostgreSQL server run from the Debian binaries: `initdb` into a
/// directory, loopback only, a free port. For tests and the local cluster.
///
/// Every connection authenticates with scram-sha-256. The superuser's and each
/// component role's generated password are in `passfile` (libpq's `.pgpass`
/// format, mode 0600), which every URL of this server names (`passfile=`): a
/// path in argv, never a password.
///
/// initdb and postgres refuse to run as root; as root they run as the
/// `postgres` system user, and the directory is handed to it.
public struct PrivatePostgres: Sendable {
    public let directory: URL
    public let port: Int
    public let user = "vigil"

    /// A server in `directory` on `port`, running or not.
    public init(directory: URL, port: Int) {
        self.directory = directory
        self.port = port
    }

    public var dataDirectory: URL { directory.appendingPathComponent("data") }
    public var socketDirectory: URL { directory.appendingPathComponent("socket") }
    public var logFile: URL { directory.appendingPathComponent("postgres.log") }
    /// The passwords of the superuser and of every `DatabaseRole`, one `.pgpass` line each.
    public var passfile: URL { directory.appendingPathComponent("pgpass") }

    /// The URL of `database` on this server (TCP on loopback) as the superuser;
    /// `DatabaseRole.url(_:)` makes it a component role's.
    public func url(database: String = "postgres") -> String {
        let passfile = passfile.path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "/-_.~"))) ?? ""
        return "postgresql://\(user)@127.0.0.1:\(port)/\(database)?sslmode=disable&connect_timeout=10&passfile=\(passfile)"
    }

    /// Starts the server in `directory`, creating the cluster on first use.
    /// `port` 0 picks a free one. Durability is off when `fast` (tests only).
    /// `settings` are extra server settings, e.g. `shared_buffers`.
    public static func start(in directory: URL, port: Int = 0, fast: Bool = false, settings: [String: String] = [:]) throws -> PrivatePostgres {
        let bin = try binDirectory()
        let server = PrivatePostgres(directory: directory, port: port == 0 ? try freeLoopbackPort() : port)
        let fm = FileManager.default
        try fm.createDirectory(at: server.socketDirectory, withIntermediateDirectories: true)
        if !fm.fileExists(atPath: server.dataDirectory.appendingPathComponent("PG_VERSION").path) {
            try? fm.removeItem(at: server.dataDirectory)
            let superuserPassword = try server.writePassfile()
            let pwfile = server.directory.appendingPathComponent("initdb.pw")
            try writeOwnerOnly(superuserPassword + "\n", to: pwfile)
            defer { try? fm.removeItem(at: pwfile) }
            try server.handOver()
            try server.asServerUser([
                "\(bin)/initdb", "-D", server.dataDirectory.path, "-U", server.user, "--pwfile", pwfile.path,
                "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
            ])
        }
        try server.handOver()
        var options = "-p \(server.port) -k \(server.socketDirectory.path) -c listen_addresses=127.0.0.1 -c max_connections=200"
        if fast { options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" }
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) { options += " -c \(name)=\(value)" }
        try server.asServerUser([
            "\(bin)/pg_ctl", "-D", server.dataDirectory.path, "-l", server.logFile.path,
            "-o", options, "-w", "-t", "60", "start",
        ])
        return server
    }

    /// Stops the server; `immediate` skips the shutdown checkpoint.
    public func stop(immediate: Bool = false) throws {
        let bin = try Self.binDirectory()
        try asServerUser(["\(bin)/pg_ctl", "-D", dataDirectory.path, "-m", immediate ? "immediate" : "fast", "-w", "stop"])
    }

    /// True when a postmaster is running on this data directory.
    public var isRunning: Bool {
        guard let bin = try? Self.binDirectory() else { return false }
        return (try? asServerUser(["\(bin)/pg_ctl", "-D", dataDirectory.path, "status"])) != nil
    }

    /// Creates `name` if it does not exist.
    public func createDatabase(_ name: String) async throws {
        let admin = try await PostgresConnection.connect(url: url())
        let exists = try await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [.text(name)])
        if exists.count == 0 {
            // CREATE DATABASE takes no parameters: the name is quoted as an identifier.
            try await admin.simpleQuery("CREATE DATABASE \(quoteIdentifier(name))")
        }
    }

    public func dropDatabase(_ name: String) async throws {
        let admin = try await PostgresConnection.connect(url: url())
        try await admin.simpleQuery("DROP DATABASE IF EXISTS \(quoteIdentifier(name)) WITH (FORCE)")
    }

    private func handOver() throws {
        guard Command.isRoot else { return }
        try Command.run(["chown", "-R", "postgres:postgres", directory.path])
    }

    @discardableResult
    private func asServerUser(_ arguments: [String]) throws -> String {
        try Command.run(Command.isRoot ? ["runuser", "-u", "postgres", "--"] + arguments : arguments)
    }

    /// Where the Debian packages put the server binaries (the newest version).
    public static func binDirectory() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let candidates = versions.compactMap { Int($0) }.sorted(by: >).map { "\(root)/\($0)/bin" }
        guard let bin = candidates.first(where: { FileManager.default.isExecutableFile(atPath: "\($0)/initdb") }) else {
            throw PostgresError(
                code: .connection,
                message: "PostgreSQL server binaries not found under \(root): install them with `apt-get install -y postgresql`")
        }
        return bin
    }
}

/// Quotes an identifier for the few statements that cannot take parameters.
public func quoteIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}


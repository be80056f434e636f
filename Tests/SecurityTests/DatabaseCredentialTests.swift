import Foundation
import Testing
import VigilCore
import VigilDev
import VigilPostgres
import VigilTestSupport

/// The private PostgreSQL of tests and `vigil dev up` authenticates every
/// connection with scram; the passwords live in a 0600 passfile the URLs name,
/// never in a command line; each daemon logs in as its own component role.
@Suite("Database credentials", .serialized)
struct DatabaseCredentialTests {
    /// `url` with its `passfile=` pointing at `passfile` (a path that holds no password for it).
    static func url(_ url: String, passfile: String) -> String {
        let parts = url.split(separator: "?", maxSplits: 1)
        let query = parts.count == 2 ? parts[1].split(separator: "&").filter { !$0.hasPrefix("passfile=") }.joined(separator: "&") : ""
        return "\(parts[0])?\(query)&passfile=\(passfile)"
    }

    static func expectNoLogin(_ url: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        let error = await #expect(throws: PostgresError.self, sourceLocation: sourceLocation) { _ = try await PostgresConnection.connect(url: url) }
        #expect(error?.code == .connection, sourceLocation: sourceLocation)
        #expect(error?.message.contains("password") == true, "\(String(describing: error))", sourceLocation: sourceLocation)
    }

    @Test("without the password, or with a wrong one, no role logs in; with the passfile each does", .timeLimit(.minutes(2)))
    func scramRefusesAConnectionWithoutThePassword() async throws {
        let server = try await TestPostgres.shared.start()
        let admin = try await PostgresConnection.connect(url: server.url())
        let methods = try await admin.query("SELECT DISTINCT auth_method FROM pg_hba_file_rules")
        #expect((0..<methods.count).map { methods.string($0, 0) } == ["scram-sha-256"], "no trust, no peer: every line of pg_hba asks for the password")
        var status = stat()
        #expect(stat(server.passfile.path, &status) == 0 && status.st_mode & 0o077 == 0, "the passfile is readable by its owner only")

        let wrong = try makeTemporaryDirectory("vigil-pgpass")
        defer { try? FileManager.default.removeItem(at: wrong) }
        let wrongFile = wrong.appendingPathComponent("pgpass")
        let lines = (["vigil"] + DatabaseRole.all.map(\.rawValue)).map { "*:*:*:\($0):not-the-password\n" }.joined()
        #expect(FileManager.default.createFile(atPath: wrongFile.path, contents: Data(lines.utf8), attributes: [.posixPermissions: 0o600]))
        for role in DatabaseRole.all {
            await Self.expectNoLogin(Self.url(role.url(server.url()), passfile: "/nonexistent"))
            await Self.expectNoLogin(Self.url(role.url(server.url()), passfile: wrongFile.path))
            _ = try await PostgresConnection.connect(url: role.url(server.url()))
        }
        await Self.expectNoLogin(Self.url(server.url(), passfile: wrongFile.path))
        // The group every verifier inherits its reads from has no password (and is NOLOGIN).
        await Self.expectNoLogin(DatabaseRole(rawValue: "vigil_verifier").url(server.url()))
    }

    @Test("vigil dev up: each daemon logs in as its own role, no password in any argv, every verifier completes a pass", .timeLimit(.minutes(6)))
    func devClusterDaemonsUseTheirOwnRoles() async throws {
        try await withTestCluster(nodes: 3, verifiers: true) { (cluster: ClusterFile) async throws in
            let server = PrivatePostgres(directory: URL(fileURLWithPath: cluster.postgres.directory), port: cluster.postgres.port)
            #expect(cluster.postgres.passfile == server.passfile.path)
            let passwords = try server.passwords()
            #expect(Set(passwords.keys) == Set(["vigil"] + DatabaseRole.all.map(\.rawValue)))
            for process in cluster.processes {
                let argv = (try? String(contentsOfFile: "/proc/\(process.pid)/cmdline", encoding: .utf8)) ?? process.arguments.joined(separator: " ")
                #expect(!passwords.values.contains { argv.contains($0) }, "\(process.name)'s command line holds a password")
            }
            await Self.expectNoLogin(Self.url(cluster.zones[0].database, passfile: "/nonexistent"))

            _ = try await cluster.frontendClient().put(randomBlock())
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let journal = try await PostgresConnection.connect(url: cluster.journalDatabase)
            let expected = Set([DatabaseRole.store, .scrubber, .scanner, .inspector, .referee, .watcher, .crossZone].map(\.rawValue))
            var seen = Set<String>()
            let loggedIn = try await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                let rows = try await db.query("SELECT DISTINCT usename::text FROM pg_stat_activity WHERE usename IS NOT NULL")
                seen.formUnion((0..<rows.count).map { rows.string($0, 0) })
                return seen.isSuperset(of: expected)
            }
            #expect(loggedIn, "logged in: \(seen.sorted()); expected \(expected.sorted())")

            // Under their roles' row-level security the verifiers still record whole passes.
            let complete = "SELECT DISTINCT verifier FROM passes WHERE state = 'complete'"
            var passed = Set<String>()
            let allPassed = try await eventually(timeout: .seconds(180), interval: .milliseconds(500)) {
                for c in [db, journal] {
                    let rows = try await c.query(complete)
                    passed.formUnion((0..<rows.count).map { rows.string($0, 0) })
                }
                return passed.isSuperset(of: ["disk-scrubber", "extent-referee", "metadata-scanner", "trash-inspector", "cross-zone-verifier"])
            }
            #expect(allPassed, "complete passes: \(passed.sorted())")
            // `vigil findings resolve` logs in as vigil_operator, the one role that may resolve by hand.
            let id = try await db.query(
                "INSERT INTO findings (verifier, kind, subject, severity) VALUES ('disk-scrubber', 'crc', 'x', 'error') RETURNING id").int64(0, 0)
            let resolve = try Command.runStatus(["\(Processes.executableDirectory)/vigil", "findings", "resolve", "\(id)", "--note", "checked",
                                                 "--cluster", DevCluster.clusterPath(cluster.directory)])
            #expect(resolve.status == 0, "\(resolve.output)")
            #expect(try await db.query("SELECT resolution FROM findings WHERE id = $1", [.int64(id)]).string(0, 0) == "by hand: checked")
            for process in cluster.processes {
                let log = (try? String(contentsOfFile: process.log, encoding: .utf8)) ?? ""
                #expect(!log.contains("row-level security") && !log.contains("permission denied"), "\(process.name) was refused a write: see \(process.log)")
            }
        }
    }
}

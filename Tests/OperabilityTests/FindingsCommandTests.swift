import Foundation
import Testing
import VigilCore
import VigilDev
import VigilPostgres
import VigilTestSupport

/// `vigil findings` and `vigil status` read the ledger through `LedgerReader`
/// as the operator: what they print is what the ledger holds, hostile subjects included.
@Suite("vigil findings", .serialized, .timeLimit(.minutes(3)))
struct FindingsCommandTests {
    static let vigil = "\(Processes.executableDirectory)/vigil"

    /// A cluster file naming a zone database and a journal, both migrated; no daemon.
    static func withLedgers(_ body: @Sendable (String, PostgresConnection, PostgresConnection) async throws -> Void) async throws {
        try await TestPostgres.shared.withDatabase { zone in
            try await TestPostgres.shared.withDatabase { journal in
                let z = try await PostgresConnection.connect(url: zone), j = try await PostgresConnection.connect(url: journal)
                try await Migrator(set: .blockIndex).migrate(z)
                try await Migrator(set: .fileJournal).migrate(j)
                let dir = try makeTemporaryDirectory("vigil-findings")
                defer { try? FileManager.default.removeItem(at: dir) }
                let file: [String: Any] = [
                    "directory": dir.path, "profile": "dev", "kafka": "127.0.0.1:1", "journalDatabase": journal,
                    "postgres": ["directory": dir.path, "port": 1, "url": zone],
                    "tokens": ["reader": "r", "admin": "a", "readerFile": "", "adminFile": "", "tokensFile": ""],
                    "zones": [["name": "zone-a", "database": zone, "frontend": "http://127.0.0.1:1", "master": "http://127.0.0.1:1", "nodes": []]],
                    "processes": [],
                ]
                try JSONSerialization.data(withJSONObject: file).write(to: dir.appendingPathComponent("cluster.json"))
                try await body(dir.path, z, j)
            }
        }
    }

    @Test("list, filter, show and resolve by hand a finding whose subject holds a comma, a quote and a tab; the journal's too")
    func listShowResolve() async throws {
        try await Self.withLedgers { dir, zone, journal in
            let subject = "node/1/extents/v1,g1 \"odd\"\tname"
            let id = try await zone.query("""
                INSERT INTO findings (verifier, kind, subject, severity, scope, details)
                VALUES ('disk-scrubber', 'data_crc', $1, 'error', 'zone-a/node-1', '{"offset": "4096"}') RETURNING id
                """, [.text(subject)]).int64(0, 0)
            try await zone.query("INSERT INTO findings (verifier, kind, subject, severity, scope) VALUES ('metadata-scanner', 'missing', 'block/aa', 'error', 'zone-a')")
            try await journal.query("INSERT INTO findings (verifier, kind, subject, severity, scope) VALUES ('cross-zone-verifier', 'missing_in_zone', 'zone/zone-a/block/bb', 'critical', 'global')")

            let json = try Command.run([Self.vigil, "findings", "list", "--dir", dir, "--kind", "data_crc", "--format", "json"])
            let items = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
            #expect(items.count == 1, "only the data_crc finding: \(json)")
            #expect(items.first?["subject"] as? String == subject)
            #expect((items.first?["details"] as? [String: String])?["offset"] == "4096")
            #expect(items.first?["resolved"] as? Bool == false)

            let scanner = try Command.run([Self.vigil, "findings", "list", "--dir", dir, "--verifier", "metadata-scanner"])
            #expect(scanner.contains("block/aa") && !scanner.contains("data_crc"), "\(scanner)")
            #expect(try Command.run([Self.vigil, "findings", "list", "--dir", dir, "--zone", "journal"]).contains("missing_in_zone"))

            let show = try Command.run([Self.vigil, "findings", "show", "\(id)", "--dir", dir])
            #expect(show.contains("scope        zone-a/node-1") && show.contains("\"offset\" : \"4096\""), "\(show)")
            #expect(try Command.runStatus([Self.vigil, "findings", "show", "\(id + 100)", "--dir", dir]).status != 0)

            _ = try Command.run([Self.vigil, "findings", "resolve", "\(id)", "--note", "disk replaced", "--dir", dir])
            #expect(try Command.runStatus([Self.vigil, "findings", "resolve", "\(id)", "--note", "again", "--dir", dir]).status != 0,
                    "a resolved finding is not resolved twice")
            #expect(!(try Command.run([Self.vigil, "findings", "list", "--dir", dir])).contains("data_crc"))
            #expect(try Command.run([Self.vigil, "findings", "show", "\(id)", "--dir", dir]).contains("resolution   by hand: disk replaced"))
        }
    }

    @Test("status counts open findings per verifier, scope and severity, and the journal's as its own database")
    func statusCountsOpenFindings() async throws {
        try await Self.withLedgers { dir, zone, journal in
            try await zone.simpleQuery("""
                INSERT INTO findings (verifier, kind, subject, severity, scope) VALUES
                    ('disk-scrubber', 'data_crc', 'a', 'error', 'zone-a/node-1'), ('disk-scrubber', 'key_mismatch', 'b', 'critical', 'zone-a/node-1'),
                    ('disk-scrubber', 'data_crc', 'c', 'error', 'zone-a/node-1');
                INSERT INTO passes (verifier, scope, state, finished_at) VALUES ('trash-inspector', 'zone-a', 'complete', now());
                """)
            try await journal.query("INSERT INTO findings (verifier, kind, subject, severity, scope) VALUES ('cross-zone-verifier', 'unreferenced_in_zone', 'x', 'warning', 'global')")
            let report = try JSONSerialization.jsonObject(with: Data(try Command.run([Self.vigil, "status", "--dir", dir, "--json"]).utf8)) as? [String: Any]
            let databases = try #require(report?["databases"] as? [[String: Any]])
            #expect(databases.map { $0["name"] as? String } == ["zone-a", "journal"])
            #expect(databases[0]["open_findings"] as? [String: Int] == ["error": 2, "critical": 1])
            let scopes = try #require(databases[0]["scopes"] as? [[String: Any]])
            #expect(scopes.contains { $0["verifier"] as? String == "trash-inspector" && $0["complete_passes"] as? Int == 1 && $0["next_due"] != nil })
            #expect(databases[1]["open_findings"] as? [String: Int] == ["warning": 1])
            let text = try Command.run([Self.vigil, "status", "--dir", dir])
            #expect(text.contains("open findings: 1 critical, 2 error"), "\(text)")
        }
    }

    @Test("durability reads each watcher stage's samples and failures and each scope's cadence from the ledger; a stage named like a pattern matches literally")
    func durabilityReadsTheLedger() async throws {
        try await Self.withLedgers { dir, zone, _ in
            try await ZoneTopology(zone: "zone-a", profile: "dev", watcherStages: ["1m", "1_"]).save(zone)
            try await zone.simpleQuery("""
                INSERT INTO nodes (id, name, address) VALUES (1, 'n1', 'x'), (2, 'n2', 'x'), (3, 'n3', 'x');
                INSERT INTO volumes (id, state) VALUES (1, 'sealed');
                INSERT INTO passes (verifier, scope, state, started_at, finished_at, items_checked) VALUES
                    ('storage-watcher', 'zone-a/1m', 'complete', now() - interval '2 minutes', now() - interval '1 minute', 30),
                    ('storage-watcher', 'zone-a/1m', 'running', now(), NULL, 5),
                    ('trash-inspector', 'zone-a', 'complete', now() - interval '2 hours', now() - interval '2 hours', 1),
                    ('trash-inspector', 'zone-a', 'complete', now() - interval '1 hour', now(), 1);
                INSERT INTO findings (verifier, kind, subject, severity, scope) VALUES
                    ('storage-watcher', 'not_found', 'stage/1m/block/aa', 'critical', 'zone-a/1m'),
                    ('storage-watcher', 'corrupt', 'stage/1m/block/bb', 'critical', 'zone-a/1m');
                """)
            let output = try Command.run([Self.vigil, "durability", "--dir", dir, "--json"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any], "\(output)")
            let zoneReport = try #require((report["zones"] as? [[String: Any]])?.first)
            let stages = try #require(zoneReport["watcher"] as? [[String: Any]])
            #expect(stages.map { $0["stage"] as? String } == ["1m", "1_"])
            #expect(stages.first?["samples"] as? Int == 35 && stages.first?["failures"] as? Int == 2, "\(stages)")
            #expect(stages.last?["failures"] as? Int == 0, "'1_' is a name, not a LIKE pattern matching '1m'")
            let cadences = try #require(zoneReport["cadences"] as? [[String: Any]])
            #expect(cadences.map { $0["verifier"] as? String } == ["trash-inspector"], "the watcher's passes are not a cadence")
            #expect(abs((cadences.first?["hoursBetweenPasses"] as? Double ?? 0) - 2) < 0.01)
        }
    }
}

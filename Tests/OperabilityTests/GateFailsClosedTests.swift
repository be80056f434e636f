import Foundation
import Testing
import VigilCore
import VigilDev
import VigilPostgres
import VigilTestSupport

/// The gate decides from the zone's recorded topology and the ledger, never
/// from its command line: what was never verified blocks.
@Suite("Sign-off gate fails closed", .serialized)
struct GateFailsClosedTests {
    static func vigil(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try Command.runStatus(["\(Processes.executableDirectory)/vigil"] + arguments)
    }

    static func migrated(_ url: String) async throws -> PostgresConnection {
        let c = try await PostgresConnection.connect(url: url)
        try await Migrator(set: .blockIndex).migrate(c)
        return c
    }

    @Test("a freshly migrated database where no verifier ever ran is blocked, with the reason", .timeLimit(.minutes(2)))
    func freshDatabaseIsBlocked() async throws {
        try await TestPostgres.shared.withDatabase { url in
            _ = try await Self.migrated(url)
            let noTopology = try Self.vigil(["gate", "--database", url, "--window", "29d"])
            #expect(noTopology.status == 1, "a database nobody configured must not sign off: \(noTopology.output)")
            #expect(noTopology.output.contains("BLOCKED") && noTopology.output.contains("vigil zone configure"), "\(noTopology.output)")

            // Configured, with nodes, but no verifier ever ran: every expected scope is named.
            let configured = try Self.vigil(["zone", "configure", "--database", url, "--zone", "zone-x", "--profile", "production"])
            #expect(configured.status == 0, "\(configured.output)")
            for id in 1...3 {
                _ = try Self.vigil(["nodes", "add", "--database", url, "--id", "\(id)", "--name", "node-\(id)", "--address", "http://127.0.0.1:1"])
            }
            let gate = try Self.vigil(["gate", "--database", url, "--window", "29d", "--format", "json"])
            #expect(gate.status == 1, "\(gate.output)")
            let verdict = try #require(try JSONSerialization.jsonObject(with: Data(gate.output.utf8)) as? [String: Any])
            let reasons = try #require(verdict["reasons"] as? [String])
            for expected in ["disk-scrubber zone-x/node-1", "disk-scrubber zone-x/node-3", "extent-referee zone-x/node-2",
                             "metadata-scanner zone-x", "trash-inspector zone-x", "storage-watcher zone-x/30d",
                             "cross-zone-verifier global"] {
                #expect(reasons.contains { $0.hasPrefix(expected) }, "no reason for \(expected): \(reasons)")
            }
            // JUnit: one case per (verifier, scope).
            let junit = try Self.vigil(["gate", "--database", url, "--window", "29d", "--format", "junit"])
            let cases = junit.output.components(separatedBy: "<testcase ").count - 1
            let distinct = Set(reasons.map { $0.split(separator: ":")[0] }).count
            #expect(cases >= distinct && cases <= distinct + 1, "\(cases) test cases for \(distinct) blocked scopes")
        }
    }

    @Test("a window shorter than the profile's cadence is refused, naming the window it needs", .timeLimit(.minutes(2)))
    func shortWindowIsRefused() async throws {
        try await TestPostgres.shared.withDatabase { url in
            _ = try await Self.migrated(url)
            _ = try Self.vigil(["zone", "configure", "--database", url, "--zone", "zone-x", "--profile", "production"])
            let gate = try Self.vigil(["gate", "--database", url, "--window", "7d"])
            #expect(gate.status == 2, "\(gate.output)")
            #expect(gate.output.contains("--window 29d") && gate.output.contains("disk-scrubber"), "\(gate.output)")
        }
    }

    @Test("a pass that checked nothing while there was data blocks; a finding resolved by hand is listed but does not block", .timeLimit(.minutes(2)))
    func emptyPassBlocks() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await Self.migrated(url)
            _ = try Self.vigil(["zone", "configure", "--database", url, "--zone", "zone-x", "--profile", "dev",
                                "--watcher-stages", "1s", "--cross-zone", "false"])
            _ = try Self.vigil(["nodes", "add", "--database", url, "--id", "1", "--name", "node-1", "--address", "http://127.0.0.1:1"])
            // Data written an hour ago: a volume on node 1 with one live block.
            try await c.query("INSERT INTO volumes (id, state, replication, created_at) VALUES (1, 'sealed', 1, now() - interval '1 hour')")
            try await c.query("INSERT INTO volume_replicas (volume_id, node_id) VALUES (1, 1)")
            try await c.query("""
                INSERT INTO blocks (key, volume_id, length, checksum, created_at)
                VALUES (decode(repeat('ab', 32), 'hex'), 1, 10, 0, now() - interval '1 hour')
                """)
            // Every expected scope completed a pass just now; the scrubber's and scanner's checked nothing.
            for (verifier, scope, items) in [("disk-scrubber", "zone-x/node-1", 0), ("extent-referee", "zone-x/node-1", 0),
                                             ("metadata-scanner", "zone-x", 0), ("trash-inspector", "zone-x", 0),
                                             ("storage-watcher", "zone-x/1s", 0)] {
                try await c.query("""
                    INSERT INTO passes (verifier, scope, state, finished_at, items_checked) VALUES ($1, $2, 'complete', now(), $3)
                    """, [.text(verifier), .text(scope), .int64(Int64(items))])
            }
            var gate = try Self.vigil(["gate", "--database", url, "--window", "1h"])
            #expect(gate.status == 1, "\(gate.output)")
            #expect(gate.output.contains("[FAIL] disk-scrubber zone-x/node-1") && gate.output.contains("checked nothing"), "\(gate.output)")
            #expect(gate.output.contains("[FAIL] metadata-scanner zone-x"), "\(gate.output)")
            #expect(gate.output.contains("[ok] trash-inspector zone-x"), "an empty trash is nothing to check: \(gate.output)")

            // Passes that checked the data, and an error finding resolved by hand: sign off, the finding still listed.
            try await c.query("UPDATE passes SET items_checked = 1 WHERE verifier IN ('disk-scrubber', 'metadata-scanner')")
            try await c.query("""
                INSERT INTO findings (verifier, kind, subject, severity, resolved_at, resolution)
                VALUES ('disk-scrubber', 'data_crc', 'node/1/extents/v1.g1.extent', 'error', now(), 'by hand: disk replaced')
                """)
            gate = try Self.vigil(["gate", "--database", url, "--window", "1h"])
            #expect(gate.status == 0, "\(gate.output)")
            #expect(gate.output.contains("data_crc") && gate.output.contains("by hand: disk replaced"), "\(gate.output)")
        }
    }
}

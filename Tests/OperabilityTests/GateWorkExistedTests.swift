import Foundation
import Testing
import VigilDev
import VigilPostgres
import VigilTestSupport

/// "Work existed but nothing was checked" blocks per scope the work belongs to:
/// a scanner shard whose key range held blocks, a watcher stage that sampled
/// writes came due at (review defect 2), over a real ledger and `vigil gate`.
@Suite("Gate: work existed, nothing checked", .serialized, .timeLimit(.minutes(2)))
struct GateWorkExistedTests {
    static func gate(_ url: String) throws -> (status: Int32, output: String) {
        try GateFailsClosedTests.vigil(["gate", "--database", url, "--window", "1h"])
    }

    /// A dev zone with one node, a 1s stage, two scanner shards, and a complete
    /// pass just now for every expected scope; the scrubber's checked its data.
    static func zone(_ url: String) async throws -> PostgresConnection {
        let c = try await GateFailsClosedTests.migrated(url)
        _ = try GateFailsClosedTests.vigil(["zone", "configure", "--database", url, "--zone", "zone-x", "--profile", "dev",
                                            "--watcher-stages", "1s", "--scanner-shards", "2", "--cross-zone", "false"])
        _ = try GateFailsClosedTests.vigil(["nodes", "add", "--database", url, "--id", "1", "--name", "node-1", "--address", "http://127.0.0.1:1"])
        try await c.query("INSERT INTO volumes (id, state, replication, created_at) VALUES (1, 'sealed', 1, now() - interval '1 hour')")
        try await c.query("INSERT INTO volume_replicas (volume_id, node_id) VALUES (1, 1)")
        for (verifier, scope, items) in [("disk-scrubber", "zone-x/node-1", 1), ("extent-referee", "zone-x/node-1", 0),
                                         ("metadata-scanner", "zone-x/shard-1-of-2", 0), ("metadata-scanner", "zone-x/shard-2-of-2", 0),
                                         ("trash-inspector", "zone-x", 0)] {
            try await c.query("INSERT INTO passes (verifier, scope, state, finished_at, items_checked) VALUES ($1, $2, 'complete', now(), $3)",
                              [.text(verifier), .text(scope), .int64(Int64(items))])
        }
        // The stage's passes ran for the last minute, one every 5 s, checking nothing.
        try await c.query("""
            INSERT INTO passes (verifier, scope, state, started_at, finished_at, items_checked)
            SELECT 'storage-watcher', 'zone-x/1s', 'complete', now() - make_interval(secs => s), now() - make_interval(secs => s - 5), 0
            FROM generate_series(60, 5, -5) AS s
            """)
        return c
    }

    static func block(_ c: PostgresConnection, firstByte: String, agoSeconds: Int) async throws {
        try await c.query("""
            INSERT INTO blocks (key, volume_id, length, checksum, created_at)
            VALUES (decode($1 || repeat('ab', 31), 'hex'), 1, 10, 0, now() - make_interval(secs => $2))
            """, [.text(firstByte), .float64(Double(agoSeconds))])
    }

    @Test("a shard that checked nothing while its key range held blocks blocks, naming the shard; the other shard does not")
    func emptyShardBlocks() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await Self.zone(url)
            var gate = try Self.gate(url)
            #expect(gate.status == 0, "nothing to check anywhere: \(gate.output)")
            try await Self.block(c, firstByte: "c0", agoSeconds: 3600)  // shard 2 of 2: the upper half of the key space
            gate = try Self.gate(url)
            #expect(gate.status == 1, "\(gate.output)")
            #expect(gate.output.contains("zone-x/shard-2-of-2: the last pass") && !gate.output.contains("zone-x/shard-1-of-2:"), "\(gate.output)")
            try await c.query("UPDATE passes SET items_checked = 1 WHERE scope = 'zone-x/shard-2-of-2'")
            gate = try Self.gate(url)
            #expect(gate.status == 0, "\(gate.output)")
        }
    }

    @Test("a stage that checked fewer samples than sampled writes came due at it blocks; enough checked, or none due, signs off")
    func blindStageBlocks() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await Self.zone(url)
            try await c.query("UPDATE passes SET items_checked = 1 WHERE verifier = 'metadata-scanner'")
            try await Self.block(c, firstByte: "80", agoSeconds: 30)  // not sampled at 1%: nothing says the stage had to see it
            try await Self.block(c, firstByte: "01", agoSeconds: 3600)  // sampled, but due long before these passes
            try await Self.block(c, firstByte: "02", agoSeconds: 10)  // sampled, due too close to the last pass's end to count
            var gate = try Self.gate(url)
            #expect(gate.status == 0, "\(gate.output)")

            try await Self.block(c, firstByte: "00", agoSeconds: 30)  // sampled at any rate of 1% or more, due 29 s ago
            gate = try Self.gate(url)
            #expect(gate.status == 1, "\(gate.output)")
            #expect(gate.output.contains("[FAIL] storage-watcher zone-x/1s:") && gate.output.contains("checked 0 sample(s)"), "\(gate.output)")
            try await c.query("UPDATE passes SET items_checked = 1 WHERE scope = 'zone-x/1s' AND finished_at = (SELECT max(finished_at) FROM passes WHERE scope = 'zone-x/1s')")
            gate = try Self.gate(url)
            #expect(gate.status == 0, "one sample checked for the one due: \(gate.output)")
        }
    }
}

import Foundation
import Testing
import VigilPostgres
import VigilTestSupport

/// The gate's finding verdict is a count over every finding in its window, not
/// a judgement of the newest 1000 it lists: a lost disk's thousand by-hand
/// resolutions cannot push an open critical out of sight (review 2, D1).
@Suite("Gate: every blocking finding counts", .serialized, .timeLimit(.minutes(3)))
struct GateFindingCountTests {
    static func critical(_ c: PostgresConnection) async throws -> Int64 {
        try await c.query("""
            INSERT INTO findings (verifier, kind, subject, severity, scope)
            VALUES ('disk-scrubber', 'key_mismatch', 'node/1/extents/v999.g1.extent', 'critical', 'zone-x/node-1') RETURNING id
            """).int64(0, 0)
    }

    /// One `missing` error per block of a lost disk, newer than anything before; resolved by hand or open.
    static func missing(_ c: PostgresConnection, _ count: Int, byHand: Bool, from first: Int = 1) async throws {
        try await c.query("""
            INSERT INTO findings (verifier, kind, subject, severity, scope, resolved_at, resolution)
            SELECT 'metadata-scanner', 'missing', 'node/3/volume/77/block/' || lpad(to_hex(g), 64, '0'), 'error', 'zone-x',
                   CASE WHEN $3 THEN now() END, CASE WHEN $3 THEN 'by hand: disk replaced' END
            FROM generate_series($1::int, $2::int) g
            """, [.int64(Int64(first)), .int64(Int64(first + count - 1)), .bool(byHand)])
    }

    @Test("an open critical older than 1000 by-hand resolutions blocks; resolved by hand too, the gate signs off")
    func criticalBehindByHandResolutionsBlocks() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await GateWorkExistedTests.zone(url)
            let id = try await Self.critical(c)
            try await Self.missing(c, 1000, byHand: true)
            var gate = try GateWorkExistedTests.gate(url)
            #expect(gate.status == 1, "the critical is open: \(gate.output)")
            #expect(gate.output.contains("and 1 more blocking findings in the window not listed"), "\(gate.output)")

            let operatorRole = try await PostgresConnection.connect(url: DatabaseRole.operator.url(url))
            try await operatorRole.query("UPDATE findings SET resolved_at = now(), resolution = 'by hand: test extent' WHERE id = $1", [.int64(id)])
            gate = try GateWorkExistedTests.gate(url)
            #expect(gate.status == 0, "only by-hand resolutions in the window: \(gate.output)")
        }
    }

    @Test("more than 1000 open errors block and the report says how many it did not list; 1500 by-hand resolutions alone do not block")
    func overflowIsCountedAndByHandIsNot() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await GateWorkExistedTests.zone(url)
            try await Self.missing(c, 1500, byHand: true)
            var gate = try GateWorkExistedTests.gate(url)
            #expect(gate.status == 0, "by-hand resolutions do not block: \(gate.output)")

            try await Self.missing(c, 1003, byHand: false, from: 2000)
            gate = try GateWorkExistedTests.gate(url)
            #expect(gate.status == 1, "\(gate.output)")
            #expect(gate.output.contains("and 3 more blocking findings in the window not listed"), "\(gate.output)")
        }
    }
}

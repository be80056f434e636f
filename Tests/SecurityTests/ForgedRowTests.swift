import Foundation
import Testing
import VigilPostgres
import VigilTestSupport

/// Every row a leaked component credential could forge, tried against a real
/// migrated block index as that component's role: refused, while the writes the
/// role exists for still work (`Schemas/block-index/0005_component_roles.sql`).
@Suite("Forged rows")
struct ForgedRowTests {
    static let verifiers: [(role: DatabaseRole, id: String)] = [
        (.scrubber, "disk-scrubber"), (.scanner, "metadata-scanner"), (.inspector, "trash-inspector"),
        (.referee, "extent-referee"), (.watcher, "storage-watcher"), (.crossZone, "cross-zone-verifier"),
    ]

    @Test("a verifier writes findings, passes, cursors and repair requests under its own id only", .timeLimit(.minutes(2)))
    func verifierWritesOnlyItsOwnRows() async throws {
        try await withMigratedIndex { owner, url in
            for (role, id) in Self.verifiers {
                let other = id == "metadata-scanner" ? "disk-scrubber" : "metadata-scanner"
                let otherPass = try await owner.query("INSERT INTO passes (verifier, scope) VALUES ($1, 'z') RETURNING id", [.text(other)]).int64(0, 0)
                try await owner.query("INSERT INTO cursors (verifier, scope, pass_id, position) VALUES ($1, 'z', $2, '\\x01') ON CONFLICT DO NOTHING",
                                      [.text(other), .int64(otherPass)])
                let c = try await PostgresConnection.connect(url: role.url(url))
                // Forged: rows in another verifier's name.
                await expectRefused(c, "INSERT INTO findings (verifier, kind, subject, severity) VALUES ($1, 'missing', 's', 'critical')", [.text(other)])
                await expectRefused(c, "INSERT INTO passes (verifier, scope, state, finished_at) VALUES ($1, 'z', 'complete', now())", [.text(other)])
                await expectRefused(c, "INSERT INTO cursors (verifier, scope, pass_id, position) VALUES ($1, 'y', $2, '\\x')", [.text(other), .int64(otherPass)])
                await expectRefused(c, "INSERT INTO repair_queue (volume_id, node_id, reason, requested_by) VALUES (1, 1, 'r', $1)", [.text(other)])
                // Another verifier's rows are invisible to its updates and deletes.
                #expect(try await c.query("UPDATE passes SET state = 'complete', finished_at = now() WHERE verifier = $1", [.text(other)]).affectedRows == 0)
                #expect(try await c.query("DELETE FROM cursors WHERE verifier = $1", [.text(other)]).affectedRows == 0)
                #expect(try await owner.query("SELECT state FROM passes WHERE id = $1", [.int64(otherPass)]).string(0, 0) == "running")

                // Allowed: its own, as the ledger writes them.
                let pass = try await c.query("INSERT INTO passes (verifier, scope) VALUES ($1, 'z') RETURNING id", [.text(id)]).int64(0, 0)
                try await c.query("INSERT INTO cursors (verifier, scope, pass_id, position) VALUES ($1, 'z', $2, '\\x') ON CONFLICT (verifier, scope) DO UPDATE SET pass_id = EXCLUDED.pass_id",
                                  [.text(id), .int64(pass)])
                try await c.query("UPDATE cursors SET position = '\\x02' WHERE verifier = $1", [.text(id)])
                for _ in 0..<2 {  // the second is the ON CONFLICT update of an open finding
                    try await c.query("""
                        INSERT INTO findings (verifier, kind, subject, severity) VALUES ($1, 'missing', 's', 'error')
                        ON CONFLICT (verifier, kind, subject) WHERE resolved_at IS NULL DO UPDATE SET last_seen = now() RETURNING (xmax = 0)
                        """, [.text(id)])
                }
                try await c.query("INSERT INTO repair_queue (volume_id, node_id, reason, requested_by) VALUES (2, 2, 'r', $1) ON CONFLICT DO NOTHING", [.text(id)])
                #expect(try await c.query("UPDATE passes SET state = 'complete', finished_at = now() WHERE id = $1", [.int64(pass)]).affectedRows == 1)
                #expect(try await c.query("DELETE FROM cursors WHERE verifier = $1", [.text(id)]).affectedRows == 1)
                // …and cannot hand its own row to another verifier.
                await expectRefused(c, "UPDATE passes SET verifier = $1 WHERE id = $2", [.text(other), .int64(pass)])
            }
        }
    }

    @Test("only the inspector inserts trash inspections, stamped now and with its role; nobody changes one", .timeLimit(.minutes(2)))
    func inspectionsAreTheInspectorsAndStamped() async throws {
        try await withMigratedIndex { owner, url in
            let insert = """
                INSERT INTO trash_inspections (node_id, volume_id, generation, passed, blocks_checked, failures, inspected_at, inspected_by)
                VALUES (1, 5, 1, true, 10, 0, now() - interval '30 days', 'vigil_operator') RETURNING id
                """
            for role in DatabaseRole.all where role != .inspector {
                await expectRefused(try await PostgresConnection.connect(url: role.url(url)), insert)
            }
            let inspector = try await PostgresConnection.connect(url: DatabaseRole.inspector.url(url))
            let id = try await inspector.query(insert).int64(0, 0)
            let row = try await owner.query(
                "SELECT inspected_by, extract(epoch FROM clock_timestamp() - inspected_at)::float8 FROM trash_inspections WHERE id = $1", [.int64(id)])
            #expect(row.string(0, 0) == "vigil_inspector", "the server records who wrote it, whatever the row said")
            #expect(try row.float64(0, 1) < 60, "the server stamps the time: the row said 30 days ago")
            for role in [DatabaseRole.inspector, .store] {
                let c = try await PostgresConnection.connect(url: role.url(url))
                await expectRefused(c, "UPDATE trash_inspections SET inspected_at = now() - interval '30 days' WHERE id = $1", [.int64(id)])
                await expectRefused(c, "DELETE FROM trash_inspections WHERE id = $1", [.int64(id)])
            }
        }
    }

    @Test("resolving a finding by hand takes the operator's role; a verifier resolves its own as observed", .timeLimit(.minutes(2)))
    func byHandNeedsTheOperator() async throws {
        try await withMigratedIndex { owner, url in
            let scanners = try await owner.query(
                "INSERT INTO findings (verifier, kind, subject, severity) VALUES ('metadata-scanner', 'missing', 'b', 'critical') RETURNING id").int64(0, 0)
            let scrubbers = try await owner.query(
                "INSERT INTO findings (verifier, kind, subject, severity) VALUES ('disk-scrubber', 'crc', 'e', 'critical') RETURNING id").int64(0, 0)
            let resolve = "UPDATE findings SET resolved_at = now(), resolution = $2 WHERE id = $1 AND resolved_at IS NULL"
            let scrubber = try await PostgresConnection.connect(url: DatabaseRole.scrubber.url(url))
            await expectRefused(scrubber, resolve, [.int64(scrubbers), .text("by hand: looks fine")])
            await expectRefused(scrubber, "INSERT INTO findings (verifier, kind, subject, severity, resolved_at, resolution) VALUES ('disk-scrubber', 'k', 'x', 'error', now(), 'by hand: x')")
            let store = try await PostgresConnection.connect(url: DatabaseRole.store.url(url))
            await expectRefused(store, "INSERT INTO findings (verifier, kind, subject, severity, resolved_at, resolution) VALUES ('master', 'k', 'x', 'error', now(), 'by hand: x')")
            let operatorRole = try await PostgresConnection.connect(url: DatabaseRole.operator.url(url))
            await expectRefused(operatorRole, resolve, [.int64(scanners), .text("observed clean")])
            await expectRefused(operatorRole, "INSERT INTO findings (verifier, kind, subject, severity) VALUES ('disk-scrubber', 'k', 'x', 'error')")
            await expectRefused(operatorRole, "UPDATE findings SET verifier = 'master' WHERE id = $1", [.int64(scanners)])

            #expect(try await scrubber.query(resolve, [.int64(scrubbers), .text("observed clean")]).affectedRows == 1)
            #expect(try await operatorRole.query(resolve, [.int64(scanners), .text("by hand: replaced the disk")]).affectedRows == 1)
            #expect(try await owner.query("SELECT count(*) FROM findings WHERE resolved_at IS NULL").int(0, 0) == 0)
        }
    }

    @Test("verifiers and the operator cannot touch the data; the store cannot backdate or erase an instruction", .timeLimit(.minutes(2)))
    func dataIsTheStoresAndInstructionsAreStamped() async throws {
        try await withMigratedIndex { owner, url in
            try await owner.query("INSERT INTO blocks (key, volume_id, length, checksum) VALUES ($1, 1, 3, 0)", [.bytea([UInt8](repeating: 7, count: 32))])
            let index = BlockIndex(pool: PostgresPool(url: DatabaseRole.store.url(url), size: 1))
            let id = try await index.recordInstruction(kind: "trash", node: 1, volume: 1, generation: 1, reason: "test")
            try await index.markExecuted(id)
            for role in DatabaseRole.all where role != .store {
                let c = try await PostgresConnection.connect(url: role.url(url))
                for statement in ["DELETE FROM extent_instructions", "DELETE FROM blocks", "UPDATE blocks SET state = 1", "UPDATE volumes SET state = 'retired'",
                                  "INSERT INTO extent_instructions (kind, node_id, volume_id, generation, reason) VALUES ('unlink', 1, 1, 1, 'x')",
                                  "DELETE FROM findings", "DELETE FROM passes"] {
                    await expectRefused(c, statement)
                }
            }
            let store = try await PostgresConnection.connect(url: DatabaseRole.store.url(url))
            await expectRefused(store, "UPDATE extent_instructions SET created_at = now() - interval '1 day'")
            await expectRefused(store, "DELETE FROM extent_instructions")
            await expectRefused(store, "INSERT INTO extent_instructions (kind, node_id, volume_id, generation, reason, created_at) VALUES ('trash', 1, 2, 1, 'x', now() - interval '1 day')")
            #expect(try await owner.query("SELECT count(*) FROM blocks WHERE state = 0").int(0, 0) == 1)
            #expect(try await owner.query("SELECT count(*) FROM extent_instructions WHERE executed_at IS NOT NULL").int(0, 0) == 1)
        }
    }
}

/// Runs `body` with a superuser connection to a fresh, migrated block index and its URL.
func withMigratedIndex(_ body: @Sendable (PostgresConnection, String) async throws -> Void) async throws {
    try await TestPostgres.shared.withDatabase { url in
        let owner = try await PostgresConnection.connect(url: url)
        try await Migrator(set: .blockIndex).migrate(owner)
        try await body(owner, url)
    }
}

/// Expects the statement to be refused for lack of privilege (SQLSTATE 42501:
/// a missing grant, or a row-level security policy the row does not pass).
func expectRefused(_ c: PostgresConnection, _ sql: String, _ parameters: [PostgresValue] = [], sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await c.query(sql, parameters)
        Issue.record("not refused: \(sql)", sourceLocation: sourceLocation)
    } catch let error as PostgresError {
        #expect(error.sqlState == "42501", "\(sql): \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(sql): \(error)", sourceLocation: sourceLocation)
    }
}

import Foundation
import Testing
import VigilPostgres
import VigilTestSupport

/// What the master (and the referee, judging an unlink) accepts as the
/// inspection that lets a trash extent be unlinked: one the inspector's role
/// wrote after the last trash instruction, older than the retention, with no
/// failed inspection after it. Asked as the master asks, as the store's role.
@Suite("Unlink evidence")
struct UnlinkEvidenceTests {
    @Test("an unlink needs a passed inspection by the inspector's role written after the last trash instruction", .timeLimit(.minutes(2)))
    func onlyTheInspectorsRecentInspectionCounts() async throws {
        try await withMigratedIndex { owner, url in
            let index = BlockIndex(pool: PostgresPool(url: DatabaseRole.store.url(url), size: 1))
            let inspector = BlockIndex(pool: PostgresPool(url: DatabaseRole.inspector.url(url), size: 1))
            let unlinkable = { (retention: Double) in
                try await index.unlinkableInspection(node: 1, volume: 7, generation: 1, retentionSeconds: retention)
            }
            // An inspection from before the extent was (last) trashed proves nothing about what is in trash now.
            try await inspector.recordInspection(node: 1, volume: 7, generation: 1, passed: true, checked: 3, failures: 0)
            try await index.markExecuted(try await index.recordInstruction(kind: "trash", node: 1, volume: 7, generation: 1, reason: "test"))
            #expect(try await unlinkable(0) == false)

            // Not written by the inspector's role: the superuser's own row does not count either.
            try await owner.query("""
                INSERT INTO trash_inspections (node_id, volume_id, generation, passed, blocks_checked, failures) VALUES (1, 7, 1, true, 3, 0)
                """)
            #expect(try await owner.query("SELECT inspected_by FROM trash_inspections ORDER BY id DESC LIMIT 1").string(0, 0) == "vigil")
            #expect(try await unlinkable(0) == false)

            // The inspector's, after the instruction: counts once the retention has passed.
            try await inspector.recordInspection(node: 1, volume: 7, generation: 1, passed: true, checked: 3, failures: 0)
            #expect(try await unlinkable(3600) == false, "retention not elapsed")
            #expect(try await unlinkable(0) == true)

            // A failed inspection after it voids it; trashing again asks for a new one.
            try await inspector.recordInspection(node: 1, volume: 7, generation: 1, passed: false, checked: 3, failures: 1)
            #expect(try await unlinkable(0) == false)
            try await inspector.recordInspection(node: 1, volume: 7, generation: 1, passed: true, checked: 3, failures: 0)
            #expect(try await unlinkable(0) == true)
            try await index.markExecuted(try await index.recordInstruction(kind: "trash", node: 1, volume: 7, generation: 1, reason: "again"))
            #expect(try await unlinkable(0) == false)
        }
    }

    @Test("inspections written before the roles migration survive it, and no unlink relies on them", .timeLimit(.minutes(2)))
    func rowsFromBeforeTheMigrationAreUnattributed() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let owner = try await PostgresConnection.connect(url: url)
            let full = try Migrator(set: .blockIndex)
            let before = try makeTemporaryDirectory("vigil-migrations")
            defer { try? FileManager.default.removeItem(at: before) }
            for migration in full.migrations where migration.version < 5 {
                try migration.sql.write(to: before.appendingPathComponent(migration.name), atomically: true, encoding: .utf8)
            }
            try await Migrator(set: .blockIndex, directory: before).migrate(owner)
            try await owner.query("INSERT INTO extent_instructions (kind, node_id, volume_id, generation, reason, created_at) VALUES ('trash', 1, 7, 1, 'x', now() - interval '2 days')")
            try await owner.query("""
                INSERT INTO trash_inspections (node_id, volume_id, generation, passed, blocks_checked, failures, inspected_at)
                VALUES (1, 7, 1, true, 3, 0, now() - interval '1 day')
                """)

            try await full.migrate(owner)
            let row = try await owner.query("SELECT inspected_by, passed, inspected_at < now() - interval '23 hours' FROM trash_inspections")
            try #require(row.count == 1)
            #expect(row.string(0, 0) == "unattributed")
            #expect(try row.bool(0, 1) && row.bool(0, 2), "the row is as it was: passed, a day old")
            let index = BlockIndex(pool: PostgresPool(url: DatabaseRole.store.url(url), size: 1))
            #expect(try await index.unlinkableInspection(node: 1, volume: 7, generation: 1, retentionSeconds: 60) == false)
        }
    }
}

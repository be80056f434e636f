import Foundation
import Testing
import VigilPostgres
import VigilTestSupport

/// The ledger's one migration set (`Schemas/ledger`) on databases the old
/// per-kind migrations made, and on new ones: rows kept, both kinds alike.
@Suite("Ledger migrations", .timeLimit(.minutes(3)))
struct LedgerMigrationTests {
    /// A database as the build before the ledger set left it: `set`'s files only.
    static func migrateAsOldBuild(_ c: PostgresConnection, _ set: MigrationSet) async throws {
        let old = try makeTemporaryDirectory("vigil-old-\(set.rawValue)")
        defer { try? FileManager.default.removeItem(at: old) }
        for migration in try Migrator(set: set).migrations {
            try migration.sql.write(to: old.appendingPathComponent(migration.name), atomically: true, encoding: .utf8)
        }
        try await Migrator(set: set, directory: old).migrate(c)
        #expect(try await Migrator(set: .ledger).currentVersion(c) == 0, "the old build knew no ledger set")
    }

    static func count(_ c: PostgresConnection, _ sql: String) async throws -> Int { try await c.query(sql).int(0, 0) }

    @Test("a zone database from the old migrations migrates forward with every ledger row, and row-level security still holds")
    func zoneDatabaseKeepsItsLedger() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let owner = try await PostgresConnection.connect(url: url)
            try await Self.migrateAsOldBuild(owner, .blockIndex)
            try await owner.simpleQuery("""
                INSERT INTO passes (verifier, scope, state, finished_at, items_checked) VALUES ('disk-scrubber', 'z/node-1', 'complete', now(), 9);
                INSERT INTO cursors (verifier, scope, pass_id, position) SELECT 'disk-scrubber', 'z/node-1', id, '\\x0102' FROM passes;
                INSERT INTO findings (verifier, kind, subject, severity, scope, details) VALUES ('disk-scrubber', 'data_crc', 'node/1/x', 'error', 'z/node-1', '{"k": "v,w"}');
                INSERT INTO repair_queue (volume_id, node_id, reason, requested_by) VALUES (7, 1, 'data_crc', 'disk-scrubber');
                """)
            try await Migrator(set: .blockIndex).migrate(owner)
            #expect(try await Migrator(set: .ledger).currentVersion(owner) == Migrator(set: .ledger).latestVersion)
            #expect(try await owner.query("SELECT details->>'k' FROM findings WHERE kind = 'data_crc' AND resolved_at IS NULL").string(0, 0) == "v,w")
            #expect(try await owner.query("SELECT position FROM cursors").bytes(0, 0) == [1, 2])
            #expect(try await Self.count(owner, "SELECT count(*) FROM passes WHERE items_checked = 9") == 1)
            #expect(try await Self.count(owner, "SELECT count(*) FROM repair_queue WHERE state = 'pending'") == 1)
            #expect(try await Self.count(owner, "SELECT count(*) FROM pg_policies WHERE tablename = 'findings'") == 4, "no policy doubled")

            let scanner = try await PostgresConnection.connect(url: DatabaseRole.scanner.url(url))
            let forged = await #expect(throws: PostgresError.self) {
                try await scanner.query("INSERT INTO findings (verifier, kind, subject, severity) VALUES ('disk-scrubber', 'k', 's', 'error')")
            }
            #expect(forged?.sqlState == "42501", "a verifier still writes only as itself")
            let changed = await #expect(throws: PostgresError.self) { try await scanner.query("UPDATE repair_queue SET state = 'done'") }
            #expect(changed?.sqlState == "42501", "a verifier still cannot change a repair")
        }
    }

    @Test("a File Journal from the old migrations keeps its findings and gains the zone's repair queue under the same rules")
    func journalGainsWhatItLacked() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let owner = try await PostgresConnection.connect(url: url)
            try await Self.migrateAsOldBuild(owner, .fileJournal)
            try await owner.query("INSERT INTO findings (verifier, kind, subject, severity, scope) VALUES ('cross-zone-verifier', 'missing_in_zone', 's', 'critical', 'global')")
            try await Migrator(set: .fileJournal).migrate(owner)
            #expect(try await Self.count(owner, "SELECT count(*) FROM findings WHERE resolved_at IS NULL") == 1)

            let crossZone = try await PostgresConnection.connect(url: DatabaseRole.crossZone.url(url))
            try await crossZone.query("INSERT INTO repair_queue (volume_id, node_id, reason, requested_by) VALUES (1, 1, 'r', 'cross-zone-verifier')")
            let forged = await #expect(throws: PostgresError.self) {
                try await crossZone.query("INSERT INTO repair_queue (volume_id, node_id, reason, requested_by) VALUES (2, 1, 'r', 'master')")
            }
            #expect(forged?.sqlState == "42501")
            let op = try await PostgresConnection.connect(url: DatabaseRole.operator.url(url))
            #expect(try await Self.count(op, "SELECT count(*) FROM repair_queue") == 1, "the operator reads the journal's queue")
        }
    }

    /// Columns, indexes, constraints and policies of the ledger's tables, as text.
    static func ledgerShape(_ c: PostgresConnection) async throws -> [String] {
        let rows = try await c.query("""
            SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
            FROM information_schema.columns WHERE table_name IN ('findings', 'passes', 'cursors', 'repair_queue')
            UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE tablename IN ('findings', 'passes', 'cursors', 'repair_queue')
            UNION ALL SELECT 'check ' || conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
                WHERE conrelid::regclass::text IN ('findings', 'passes', 'cursors', 'repair_queue')
            UNION ALL SELECT 'policy ' || tablename || ' ' || policyname || ' ' || cmd || ' ' || array_to_string(roles, ' ')
                || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '')
                FROM pg_policies WHERE tablename IN ('findings', 'passes', 'cursors', 'repair_queue')
            UNION ALL SELECT 'grant ' || table_name || ' ' || grantee || ' ' || privilege_type FROM information_schema.role_table_grants
                WHERE table_name IN ('findings', 'passes', 'cursors', 'repair_queue') AND grantee LIKE 'vigil_%'
            ORDER BY 1
            """)
        return (0..<rows.count).map { rows.string($0, 0) }
    }

    @Test("a zone's and the journal's ledgers are the same tables, indexes, constraints, policies and grants, new or migrated")
    func bothKindsAreAlike() async throws {
        let fresh = try await TestPostgres.shared.withDatabase { zone in
            try await TestPostgres.shared.withDatabase { journal in
                let z = try await PostgresConnection.connect(url: zone), j = try await PostgresConnection.connect(url: journal)
                try await Migrator(set: .blockIndex).migrate(z)
                try await Migrator(set: .fileJournal).migrate(j)
                let shape = try await Self.ledgerShape(z)
                #expect(shape.contains { $0.hasPrefix("policy repair_queue repair_queue_request") })
                #expect(shape == (try await Self.ledgerShape(j)))
                return shape
            }
        }
        let migrated = try await TestPostgres.shared.withDatabase { journal in
            let j = try await PostgresConnection.connect(url: journal)
            try await Self.migrateAsOldBuild(j, .fileJournal)
            try await Migrator(set: .fileJournal).migrate(j)
            return try await Self.ledgerShape(j)
        }
        #expect(migrated == fresh, "a migrated journal's ledger is a new one's")
    }

    /// 0001 meets ledgers the old sets made, so it must be idempotent; later ledger migrations need not be.
    @Test("the first ledger migration applied again changes nothing and fails nothing")
    func ledgerSQLIsIdempotent() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await PostgresConnection.connect(url: url)
            try await Self.migrateAsOldBuild(c, .blockIndex)
            let first = try #require(try Migrator(set: .ledger).migrations.first { $0.version == 1 })
            let dir = try makeTemporaryDirectory("vigil-ledger-0001")
            defer { try? FileManager.default.removeItem(at: dir) }
            try first.sql.write(to: dir.appendingPathComponent(first.name), atomically: true, encoding: .utf8)
            try await Migrator(set: .ledger, directory: dir).migrate(c)
            let before = try await Self.ledgerShape(c)
            try await c.simpleQuery(first.sql)
            #expect(try await Self.ledgerShape(c) == before)
        }
    }
}

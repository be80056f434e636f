import Testing
import VigilPostgres
import VigilTestSupport

@Suite(.timeLimit(.minutes(2))) struct MigrationTests {
    @Test(arguments: MigrationSet.allCases)
    func migrationsApplyTwiceCleanly(set: MigrationSet) async throws {
        try await TestPostgres.shared.withDatabase { url in
            let connection = try await PostgresConnection.connect(url: url)
            let migrator = try Migrator(set: set)
            #expect(migrator.latestVersion >= 1)
            let first = try await migrator.migrate(connection)
            #expect(first == migrator.migrations.map(\.version))
            let second = try await migrator.migrate(connection)
            #expect(second.isEmpty, "a second run applies nothing")
            #expect(try await migrator.currentVersion(connection) == migrator.latestVersion)
        }
    }

    @Test func newerSchemaIsRefused() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let connection = try await PostgresConnection.connect(url: url)
            let migrator = try Migrator(set: .blockIndex)
            try await migrator.migrate(connection)
            // A later build applied a migration this one does not know.
            try await connection.query(
                "INSERT INTO vigil_schema (set, version, name) VALUES ('block-index', $1, 'from_the_future.sql')",
                [.int32(Int32(migrator.latestVersion + 1))])
            let error = await #expect(throws: PostgresError.self) { try await migrator.migrate(connection) }
            #expect(error?.code == .schemaTooNew)
            #expect(error?.message.contains("upgrade Vigil") == true)
        }
    }

    @Test func blocksPrimaryKeyCoversWhatScannersRead() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let connection = try await PostgresConnection.connect(url: url)
            try await Migrator(set: .blockIndex).migrate(connection)
            let rows = try await connection.query("SELECT pg_get_indexdef('blocks_pkey'::regclass)")
            #expect(rows.string(0, 0).contains("INCLUDE (volume_id, length, checksum, state)"))
        }
    }
}

@Suite(.timeLimit(.minutes(2))) struct LeastPrivilegeTests {
    @Test("a verifier's role reads the index and writes its own findings and repair requests, but cannot change or delete an index row")
    func verifierRoleIsReadOnlyTowardData() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let owner = try await PostgresConnection.connect(url: url)
            try await Migrator(set: .blockIndex).migrate(owner)
            try await owner.query(
                "INSERT INTO blocks (key, volume_id, length, checksum) VALUES ($1, 1, 3, 0)", [.bytea([UInt8](repeating: 7, count: 32))])
            let verifier = try await PostgresConnection.connect(url: DatabaseRole.scanner.url(url))
            #expect(try await verifier.query("SELECT count(*) FROM blocks").int(0, 0) == 1)
            for statement in ["UPDATE blocks SET state = 1", "DELETE FROM blocks", "UPDATE volumes SET state = 'retired'", "DELETE FROM extent_instructions",
                              "INSERT INTO findings (verifier, kind, subject, severity) VALUES ('disk-scrubber', 'k', 's', 'error')",
                              "INSERT INTO trash_inspections (node_id, volume_id, generation, passed, blocks_checked, failures) VALUES (1, 1, 1, true, 0, 0)"] {
                let error = await #expect(throws: PostgresError.self) { try await verifier.query(statement) }
                #expect(error?.sqlState == "42501", "\(statement) is refused")
            }
            try await verifier.query("INSERT INTO findings (verifier, kind, subject, severity) VALUES ('metadata-scanner', 'k', 's', 'error')")
            try await verifier.query("INSERT INTO repair_queue (volume_id, node_id, reason, requested_by) VALUES (1, 1, 'r', 'metadata-scanner')")
            #expect(try await owner.query("SELECT count(*) FROM blocks WHERE state = 0").int(0, 0) == 1)
        }
    }

    @Test("the migrations make every component role a login, and the verifiers' shared group not one")
    func componentRolesExist() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let owner = try await PostgresConnection.connect(url: url)
            try await Migrator(set: .fileJournal).migrate(owner)
            let rows = try await owner.query("SELECT rolname::text, rolcanlogin FROM pg_roles WHERE rolname LIKE 'vigil_%' ORDER BY 1")
            let roles = Dictionary(uniqueKeysWithValues: try (0..<rows.count).map { (rows.string($0, 0), try rows.bool($0, 1)) })
            for role in DatabaseRole.all { #expect(roles[role.rawValue] == true, "\(role) logs in") }
            #expect(roles["vigil_verifier"] == false)
        }
    }
}

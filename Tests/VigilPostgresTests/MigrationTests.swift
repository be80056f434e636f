import Testing
import VigilPostgres
import VigilTestSupport

@Suite struct MigrationTests {
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

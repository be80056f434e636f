import ArgumentParser
import Logging
import VigilPostgres

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring a database's schema to this build's version.",
        discussion: """
            Applies the numbered migrations in Schemas/ that the database does not have yet, \
            each in its own transaction, then the verifier ledger's (Schemas/ledger: findings, \
            passes, cursors, repair requests), which both kinds of database hold. Safe to run again; refuses a database whose schema \
            is newer than this build knows. The URL may also come from VIGIL_DATABASE_URL, \
            else from a cluster file: its zone's database, or with --schema file-journal its \
            File Journal.
            """)

    @OptionGroup var target: ZoneDatabaseOptions

    @Option(help: "Which schema: block-index (a zone's index) or file-journal.")
    var schema: String = MigrationSet.blockIndex.rawValue

    func run() async throws {
        guard let set = MigrationSet(rawValue: schema), MigrationSet.databaseKinds.contains(set) else {
            throw ValidationError("--schema must be one of: \(MigrationSet.databaseKinds.map(\.rawValue).joined(separator: ", ")) (the ledger comes with either)")
        }
        let url = try target.url(journal: set == .fileJournal)
        let migrator = try Migrator(set: set)
        let connection = try await PostgresConnection.connect(url: url)
        let applied = try await migrator.migrate(connection)
        let version = try await migrator.currentVersion(connection)
        if applied.isEmpty {
            print("\(set.rawValue): already at version \(version)")
        } else {
            print("\(set.rawValue): applied \(applied.map(String.init).joined(separator: ", ")); now at version \(version)")
        }
        print("ledger: at version \(try await Migrator(set: .ledger).currentVersion(connection))")
    }
}

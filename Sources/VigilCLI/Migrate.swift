import ArgumentParser
import Logging
import VigilPostgres

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring a database's schema to this build's version.",
        discussion: """
            Applies the numbered migrations in Schemas/ that the database does not have yet, \
            each in its own transaction. Safe to run again; refuses a database whose schema \
            is newer than this build knows. The URL may also come from VIGIL_DATABASE_URL.
            """)

    @Option(help: "postgresql:// URL of the database (default: $VIGIL_DATABASE_URL).")
    var database: String?

    @Option(help: "Which schema: block-index (a zone's index) or file-journal.")
    var schema: String = MigrationSet.blockIndex.rawValue

    func run() async throws {
        guard let set = MigrationSet(rawValue: schema) else {
            throw ValidationError("--schema must be one of: \(MigrationSet.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let url = database ?? environment("VIGIL_DATABASE_URL") else {
            throw ValidationError("give --database URL or set VIGIL_DATABASE_URL")
        }
        let migrator = try Migrator(set: set)
        let connection = try await PostgresConnection.connect(url: url)
        let applied = try await migrator.migrate(connection)
        let version = try await migrator.currentVersion(connection)
        if applied.isEmpty {
            print("\(set.rawValue): already at version \(version)")
        } else {
            print("\(set.rawValue): applied \(applied.map(String.init).joined(separator: ", ")); now at version \(version)")
        }
    }
}

import Foundation
import Logging
import VigilSchemas

/// A set of numbered migrations with its own version line.
public enum MigrationSet: String, Sendable, CaseIterable {
    /// A zone's block index.
    case blockIndex = "block-index"
    /// The File Journal.
    case fileJournal = "file-journal"
    /// The verifier ledger (findings, passes, cursors, repair requests): its own
    /// version line, applied after either of the others on the same database.
    case ledger

    /// The sets a database of this kind holds after it: its ledger.
    public var followedBy: [MigrationSet] { self == .ledger ? [] : [.ledger] }

    /// The sets `vigil migrate --schema` names: the ledger comes with either.
    public static let databaseKinds: [MigrationSet] = [.blockIndex, .fileJournal]
}

public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sql: String
}

/// Applies migrations idempotently: each in its own transaction under an
/// advisory lock, recorded in `vigil_schema`; refuses a newer database.
public struct Migrator: Sendable {
    public let set: MigrationSet
    public let migrations: [Migration]
    /// True for this build's own files: then the sets that follow this one
    /// (`MigrationSet.followedBy`) are applied too. A directory of chosen files
    /// (a test's "database as an older build left it") is applied alone.
    public let bundled: Bool

    public init(set: MigrationSet, directory: URL? = nil) throws {
        self.set = set
        bundled = directory == nil
        guard let folder = directory ?? SchemaFiles.directory(named: set.rawValue) else {
            throw PostgresError(code: .badURL, message: "migration files for \(set.rawValue) are not installed beside this binary")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        migrations = try names.map { name in
            guard let version = Int(name.prefix { $0.isNumber }) else {
                throw PostgresError(code: .badURL, message: "migration file \(name) does not start with a version number")
            }
            let sql = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            return Migration(version: version, name: name, sql: sql)
        }
    }

    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// The version the database is at (0 for an empty database).
    public func currentVersion(_ connection: PostgresConnection) async throws -> Int {
        try await ensureLedger(connection)
        let rows = try await connection.query(
            "SELECT coalesce(max(version), 0)::int8 FROM vigil_schema WHERE set = $1", [.text(set.rawValue)])
        return try rows.int(0, 0)
    }

    /// Brings the database to the latest version, then (for this build's own
    /// files) the sets that follow it; returns this set's versions applied now.
    @discardableResult
    public func migrate(_ connection: PostgresConnection, logger: Logger = Logger(label: "vigil.migrate")) async throws -> [Int] {
        let applied = try await migrateThisSet(connection, logger: logger)
        if bundled {
            for next in set.followedBy { try await Migrator(set: next).migrate(connection, logger: logger) }
        }
        return applied
    }

    private func migrateThisSet(_ connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await ensureLedger(connection)
        var applied: [Int] = []
        for migration in migrations {
            let done = try await connection.transaction { tx -> Bool in
                try await tx.query("SELECT pg_advisory_xact_lock(hashtext('vigil_schema'))")
                let current = try await currentVersionLocked(tx)
                if current > latestVersion {
                    throw PostgresError(
                        code: .schemaTooNew,
                        message: "the database's \(set.rawValue) schema is at version \(current), newer than this build's \(latestVersion); upgrade Vigil")
                }
                guard migration.version > current else { return false }
                try await tx.simpleQuery(migration.sql)
                try await tx.query(
                    "INSERT INTO vigil_schema (set, version, name) VALUES ($1, $2, $3)",
                    [.text(set.rawValue), .int32(Int32(migration.version)), .text(migration.name)])
                return true
            }
            if done {
                applied.append(migration.version)
                logger.info("applied migration", metadata: ["vigil.schema": "\(set.rawValue)", "vigil.migration": "\(migration.name)"])
            }
        }
        // An up-to-date database that is newer than this build is still refused.
        let current = try await currentVersion(connection)
        if current > latestVersion {
            throw PostgresError(
                code: .schemaTooNew,
                message: "the database's \(set.rawValue) schema is at version \(current), newer than this build's \(latestVersion); upgrade Vigil")
        }
        return applied
    }

    private func currentVersionLocked(_ tx: PostgresConnection) async throws -> Int {
        let rows = try await tx.query(
            "SELECT coalesce(max(version), 0)::int8 FROM vigil_schema WHERE set = $1", [.text(set.rawValue)])
        return try rows.int(0, 0)
    }

    private func ensureLedger(_ connection: PostgresConnection) async throws {
        try await connection.simpleQuery("""
            CREATE TABLE IF NOT EXISTS vigil_schema (
                set text NOT NULL, version integer NOT NULL, name text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (set, version))
            """)
    }
}

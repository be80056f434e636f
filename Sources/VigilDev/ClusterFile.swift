import Foundation
import VigilCore

/// `cluster.json`: every endpoint, token and database URL of a local cluster,
/// so one file is all an operator passes around (`--cluster FILE`).
public struct ClusterFile: Codable, Sendable {
    public struct Postgres: Codable, Sendable {
        public var directory: String
        public var port: Int
        /// Superuser URL of the server's `postgres` database.
        public var url: String
        /// The passwords (libpq `.pgpass` format, mode 0600) of the superuser and
        /// of every component role, which every URL here names (`passfile=`);
        /// `PGPASSFILE=<it> psql …` works too. Nil in a cluster made before passwords.
        public var passfile: String?
    }

    public struct Node: Codable, Sendable {
        public var id: Int
        public var name: String
        public var address: String
        public var dataDirectory: String
        public var process: String
    }

    public struct Zone: Codable, Sendable {
        public var name: String
        public var database: String
        public var frontend: String
        public var master: String
        public var nodes: [Node]
    }

    public struct Process: Codable, Sendable {
        public var name: String
        public var pid: Int32
        public var arguments: [String]
        public var log: String
        /// URL whose `/healthz` says the process is serving.
        public var health: String?
    }

    public struct Tokens: Codable, Sendable {
        public var reader: String
        public var admin: String
        public var readerFile: String
        public var adminFile: String
        public var tokensFile: String
    }

    /// The frontends' client tokens, one per role (`read`, `write`, `delete`,
    /// `admin`), each also in a file of its own; `tokensFile` is what every
    /// frontend is started with (`<role>:<token>` lines).
    public struct FrontendTokens: Codable, Sendable {
        public var read: String
        public var write: String
        public var delete: String
        public var admin: String
        public var readFile: String
        public var writeFile: String
        public var deleteFile: String
        public var adminFile: String
        public var tokensFile: String
    }

    /// The key frontends sign samples with and watchers check them with
    /// (`Schemas/kafka-sample.md`, "Authentication"); `file` (mode 0600) holds
    /// `<id>:<secret>`, what `--sample-key-file` takes.
    public struct SampleKey: Codable, Sendable {
        public var id: UInt32
        /// The secret, hex.
        public var secret: String
        public var file: String

        /// The key as frontends and watchers hold it.
        public func keyring() throws -> SampleKeyring { try SampleKeyring.parse("\(id):\(secret)") }
    }

    public var directory: String
    public var profile: String
    public var postgres: Postgres
    public var kafka: String
    public var journalDatabase: String
    /// The nodes' tokens.
    public var tokens: Tokens
    /// The frontends' client tokens; nil only in a cluster file written before
    /// frontends required tokens (recreate such a cluster: `vigil dev down --purge`).
    public var frontendTokens: FrontendTokens?
    /// The sample key; nil only in a cluster file written before samples were
    /// signed (recreate such a cluster: `vigil dev down --purge`).
    public var sampleKey: SampleKey?
    public var zones: [Zone]
    public var processes: [Process]

    public static let defaultPath = ".vigil/cluster.json"

    public static func load(_ path: String) throws -> ClusterFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw DevClusterError("no cluster file at \(path): start one with `vigil dev up`, or pass --cluster FILE")
        }
        do {
            return try JSONDecoder().decode(ClusterFile.self, from: data)
        } catch {
            throw DevClusterError("\(path) is not a cluster file: \(error)")
        }
    }

    /// Writes the file readable by its owner only: it holds tokens.
    public func save(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        chmod(path, 0o600)
    }

    public func zone(_ name: String?) throws -> Zone {
        guard let name else { return zones[0] }
        guard let zone = zones.first(where: { $0.name == name }) else {
            throw DevClusterError("no zone \(name) in the cluster; zones: \(zones.map(\.name).joined(separator: ", "))")
        }
        return zone
    }
}

public struct DevClusterError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

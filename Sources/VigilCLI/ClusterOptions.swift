import ArgumentParser
import Foundation
import VigilDev
import VigilFrontendClient

/// `--cluster FILE` or `--dir D`: how every command finds a running cluster.
/// With neither, the directory `vigil dev up` uses by default.
struct ClusterLocation: ParsableArguments {
    @Option(name: .customLong("cluster"), help: ArgumentHelp("The cluster file `vigil dev up` wrote (default: \(ClusterFile.defaultPath)).", valueName: "file"))
    var clusterFile: String?

    @Option(help: "The directory given to `vigil dev up --dir` (the cluster file is DIR/cluster.json).")
    var dir: String?

    func validate() throws {
        if clusterFile != nil, dir != nil { throw ValidationError("give --cluster FILE or --dir D, not both") }
    }

    /// The cluster file these options name.
    var path: String { clusterFile ?? dir.map(DevCluster.clusterPath) ?? ClusterFile.defaultPath }

    func load() throws -> ClusterFile {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("no cluster at \(path): run `vigil dev up` or pass --cluster FILE / --dir D")
        }
        return try ClusterFile.load(path)
    }
}

/// A cluster and `--zone Z` in it.
struct ClusterOptions: ParsableArguments {
    @OptionGroup var location: ClusterLocation

    @Option(help: "Zone to talk to (default: the first).")
    var zone: String?

    var path: String { location.path }

    func load() throws -> ClusterFile { try location.load() }

    /// A client of the zone's frontend sending `token`.
    func frontend(token: String) throws -> FrontendClient {
        FrontendClient(address: try load().zone(zone).frontend, token: token)
    }
}

/// `--database URL` for a deployment without a cluster file; else
/// `VIGIL_DATABASE_URL`; else the database of the cluster's zone.
struct ZoneDatabaseOptions: ParsableArguments {
    @Option(help: "postgresql:// URL of the zone's block index (default: VIGIL_DATABASE_URL, then the cluster's zone).")
    var database: String?

    @OptionGroup var cluster: ClusterOptions

    /// The zone's database, or with `journal` the File Journal's.
    func url(journal: Bool = false) throws -> String {
        try cluster.location.database(database, zone: cluster.zone, journal: journal)
    }
}

extension ClusterLocation {
    /// `explicit`, else `VIGIL_DATABASE_URL`, else the named zone's (or the journal's) database in the cluster file.
    func database(_ explicit: String?, zone: String?, journal: Bool = false) throws -> String {
        if let url = explicit ?? environment("VIGIL_DATABASE_URL") { return url }
        guard FileManager.default.fileExists(atPath: path) else {
            throw CLIError("no database: give --database URL, set VIGIL_DATABASE_URL, or run `vigil dev up` / pass --cluster FILE / --dir D (no cluster at \(path))")
        }
        let file = try load()
        return journal ? file.journalDatabase : try file.zone(zone).database
    }
}

/// `--token-file`: the bearer token a command sends to the frontends.
struct FrontendTokenOptions: ParsableArguments {
    @Option(name: .customLong("token-file"), help: """
        File holding the frontend token to send (default: VIGIL_FRONTEND_TOKEN, then the cluster \
        file's token for the role the command needs).
        """)
    var tokenFile: String?

    /// The token from `--token-file`, else `VIGIL_FRONTEND_TOKEN`, else the
    /// cluster file's token for `role`. Never a command-line value: argv is
    /// visible to every user of the machine.
    func token(_ cluster: ClusterFile?, role: KeyPath<ClusterFile.FrontendTokens, String>) throws -> String {
        if let tokenFile {
            let text: String
            do {
                text = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw CLIError("cannot read the token file \(tokenFile): \(error.localizedDescription)")
            }
            guard !text.isEmpty else { throw CLIError("\(tokenFile) is empty; it should hold a frontend token") }
            return text
        }
        if let token = environment("VIGIL_FRONTEND_TOKEN") { return token }
        if let token = cluster?.frontendTokens?[keyPath: role] { return token }
        throw CLIError("no frontend token: give --token-file, set VIGIL_FRONTEND_TOKEN, or use a cluster file from `vigil dev up`")
    }
}

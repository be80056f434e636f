import Foundation
import VigilCore
import VigilPostgres

/// Where everything of a new local cluster goes: directories, ports, tokens,
/// and the command lines of its daemons.
struct Layout {
    let options: DevClusterOptions
    let directory: String
    let bin = Processes.executableDirectory
    let postgresPort: Int
    let tokens: ClusterFile.Tokens
    let frontendTokens: ClusterFile.FrontendTokens
    let sampleKey: ClusterFile.SampleKey
    var bootstrapFile: String { directory + "/kafka.bootstrap" }

    static func databaseName(_ zone: String) -> String { zone.replacingOccurrences(of: "-", with: "_") }

    init(options: DevClusterOptions, directory: String) throws {
        self.options = options
        self.directory = directory
        postgresPort = try freeLoopbackPort()
        let reader = Self.randomToken(), admin = Self.randomToken()
        tokens = ClusterFile.Tokens(
            reader: reader, admin: admin, readerFile: directory + "/reader.token", adminFile: directory + "/admin.token",
            tokensFile: directory + "/node-tokens")
        try Self.writeSecret(reader, to: tokens.readerFile)
        try Self.writeSecret(admin, to: tokens.adminFile)
        try Self.writeSecret("reader:\(reader)\nadmin:\(admin)\n", to: tokens.tokensFile)
        frontendTokens = try Self.makeFrontendTokens(in: directory)
        sampleKey = try Self.makeSampleKey(in: directory)
    }

    /// The cluster's sample key, id 1, in `sample.key`: frontends sign with it, watchers check.
    static func makeSampleKey(in directory: String) throws -> ClusterFile.SampleKey {
        let key = ClusterFile.SampleKey(id: 1, secret: randomToken(), file: directory + "/sample.key")
        try writeSecret("\(key.id):\(key.secret)\n", to: key.file)
        return key
    }

    /// One token per frontend role, each in `frontend-<role>.token`, and the
    /// frontends' `frontend-tokens` file naming all four.
    static func makeFrontendTokens(in directory: String) throws -> ClusterFile.FrontendTokens {
        let file = { (role: String) in "\(directory)/frontend-\(role).token" }
        let tokens = ClusterFile.FrontendTokens(
            read: randomToken(), write: randomToken(), delete: randomToken(), admin: randomToken(),
            readFile: file("read"), writeFile: file("write"), deleteFile: file("delete"), adminFile: file("admin"),
            tokensFile: directory + "/frontend-tokens")
        let roles = [("read", tokens.read, tokens.readFile), ("write", tokens.write, tokens.writeFile),
                     ("delete", tokens.delete, tokens.deleteFile), ("admin", tokens.admin, tokens.adminFile)]
        for (_, token, path) in roles { try writeSecret(token, to: path) }
        try writeSecret(roles.map { "\($0.0):\($0.1)\n" }.joined(), to: tokens.tokensFile)
        return tokens
    }

    static func randomToken() -> String {
        (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
    }

    static func writeSecret(_ text: String, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw DevClusterError("cannot write \(path)")
        }
    }

    func process(_ name: String, _ executable: String, _ arguments: [String], health: String?) throws -> ClusterFile.Process {
        let log = "\(directory)/logs/\(name.replacingOccurrences(of: "/", with: "-")).log"
        let full = ["\(bin)/\(executable)"] + arguments
        guard FileManager.default.isExecutableFile(atPath: full[0]) else {
            throw DevClusterError("\(full[0]) is missing: build all products first (swift build)")
        }
        let pid = try Processes.spawn(full, log: log)
        return ClusterFile.Process(name: name, pid: pid, arguments: full, log: log, health: health)
    }

    func startBroker() throws -> ClusterFile.Process {
        let topics = options.zones.flatMap { ["--topic", "vigil.samples.\($0):\(DevCluster.samplePartitions)"] }
        return try process("kafka-broker", "vigil-dev-broker", topics + ["--bootstrap-file", bootstrapFile], health: nil)
    }

    /// Starts a zone's nodes, registers them in its index, then its frontend and master.
    mutating func startZone(_ zone: String, database: String, journal: String, kafka: String) async throws -> (ClusterFile.Zone, [ClusterFile.Process]) {
        var processes: [ClusterFile.Process] = []
        var nodes: [ClusterFile.Node] = []
        let index = BlockIndex(pool: PostgresPool(url: database, size: 1))
        for n in 1...options.nodesPerZone {
            let port = try freeLoopbackPort()
            let data = "\(directory)/\(zone)/node-\(n)"
            let address = "http://127.0.0.1:\(port)"
            let name = "\(zone)/node-\(n)"
            processes.append(try process(name, "vigil-node", [
                "--zone", zone, "--node-id", "\(n)", "--data-dir", data, "--port", "\(port)", "--tokens-file", tokens.tokensFile, "--fsync", "\(options.fsync)",
                "--disk-check-ms", "1000",
            ], health: address + "/healthz"))
            nodes.append(ClusterFile.Node(id: n, name: "node-\(n)", address: address, dataDirectory: data, process: name))
            try await index.register(NodeRecord(id: n, name: "node-\(n)", address: address, state: "up"))
            if options.verifiers {
                processes.append(try diskScrubber(zone: zone, node: n, dataDirectory: data, database: database))
                processes.append(try extentReferee(zone: zone, node: n, dataDirectory: data, database: database))
            }
        }
        let frontendPort = try freeLoopbackPort(), masterPort = try freeLoopbackPort()
        let frontend = "http://127.0.0.1:\(frontendPort)", master = "http://127.0.0.1:\(masterPort)"
        processes.append(try process("\(zone)/frontend", "vigil-frontend", [
            "--zone", zone, "--database", DatabaseRole.store.url(database), "--node-token-file", tokens.adminFile,
            "--tokens-file", frontendTokens.tokensFile, "--port", "\(frontendPort)", "--replication", "\(options.replication)", "--volume-target-bytes", "\(options.volumeTargetBytes)",
            "--kafka", kafka, "--sample-key-file", sampleKey.file, "--sample-rate", "\(options.sampleRate)",
        ], health: frontend + "/healthz"))
        processes.append(try process("\(zone)/master", "vigil-master", [
            "--zone", zone, "--database", DatabaseRole.store.url(database), "--node-token-file", tokens.adminFile, "--port", "\(masterPort)",
            "--work-dir", "\(directory)/\(zone)/master", "--interval-ms", "\(options.masterIntervalMs)",
            "--retention-seconds", "\(options.retentionSeconds)", "--journal", DatabaseRole.store.url(journal),
        ], health: master + "/healthz"))
        if options.verifiers {
            let port = try freeLoopbackPort()
            processes.append(try process("\(zone)/metadata-scanner", "vigil-metadata-scanner", [
                "--zone", zone, "--database", DatabaseRole.scanner.url(database), "--node-token-file", tokens.readerFile, "--profile", options.verifierProfile, "--port", "\(port)",
            ], health: "http://127.0.0.1:\(port)/healthz"))
        }
        if options.verifiers {
            let inspectorPort = try freeLoopbackPort()
            processes.append(try process("\(zone)/trash-inspector", "vigil-trash-inspector", [
                "--zone", zone, "--database", DatabaseRole.inspector.url(database), "--journal", DatabaseRole.inspector.url(journal),
                "--node-token-file", tokens.readerFile, "--work-dir", "\(directory)/\(zone)/inspector",
                "--profile", options.verifierProfile, "--port", "\(inspectorPort)",
            ], health: "http://127.0.0.1:\(inspectorPort)/healthz"))
            let port = try freeLoopbackPort()
            processes.append(try process("\(zone)/storage-watcher", "vigil-storage-watcher", [
                "--zone", zone, "--kafka", kafka, "--frontend", frontend, "--frontend-token-file", frontendTokens.readFile,
                "--sample-key-file", sampleKey.file, "--database", DatabaseRole.watcher.url(database), "--profile", options.verifierProfile, "--port", "\(port)",
            ], health: "http://127.0.0.1:\(port)/healthz"))
        }
        let z = ClusterFile.Zone(name: zone, database: database, frontend: frontend, master: master, nodes: nodes)
        return (z, processes)
    }

    /// A disk scrubber for one node.
    func diskScrubber(zone: String, node: Int, dataDirectory: String, database: String) throws -> ClusterFile.Process {
        let port = try freeLoopbackPort()
        return try process("\(zone)/node-\(node)/disk-scrubber", "vigil-disk-scrubber", [
            "--zone", zone, "--node-id", "\(node)", "--data-dir", dataDirectory, "--database", DatabaseRole.scrubber.url(database),
            "--profile", options.verifierProfile, "--port", "\(port)",
        ], health: "http://127.0.0.1:\(port)/healthz")
    }

    /// The global cross-zone verifier, deep.
    func crossZoneVerifier(journal: String, zones: [ClusterFile.Zone]) throws -> ClusterFile.Process {
        let port = try freeLoopbackPort()
        return try process("cross-zone-verifier", "vigil-cross-zone-verifier", [
            "--journal", DatabaseRole.crossZone.url(journal), "--deep", "--node-token-file", tokens.readerFile, "--profile", options.verifierProfile, "--port", "\(port)",
        ] + zones.flatMap { ["--zone", "\($0.name)=\(DatabaseRole.crossZone.url($0.database))"] }, health: "http://127.0.0.1:\(port)/healthz")
    }

    /// An extent referee for one node.
    func extentReferee(zone: String, node: Int, dataDirectory: String, database: String) throws -> ClusterFile.Process {
        let port = try freeLoopbackPort()
        return try process("\(zone)/node-\(node)/extent-referee", "vigil-extent-referee", [
            "--zone", zone, "--node-id", "\(node)", "--data-dir", dataDirectory, "--database", DatabaseRole.referee.url(database),
            "--retention-seconds", "\(options.retentionSeconds)", "--profile", options.verifierProfile, "--port", "\(port)",
        ], health: "http://127.0.0.1:\(port)/healthz")
    }
}

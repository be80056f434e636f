import ArgumentParser
import Logging
import VigilCore
import VigilDaemon
import VigilNode
import VigilTelemetry

@main
struct NodeDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-node",
        abstract: "Serve a storage node: the extents in one data directory, over HTTP.",
        discussion: """
            Every setting can also come from the environment (VIGIL_NODE_<SETTING>, e.g. \
            VIGIL_NODE_PORT) or a JSON config file (--config); options win over the \
            environment, which wins over the file. Tokens come from --tokens-file (lines \
            reader:<token> and admin:<token>) or VIGIL_NODE_READER_TOKEN and \
            VIGIL_NODE_ADMIN_TOKEN, never from the command line. The API is in \
            Schemas/node-api.md; /metrics and /healthz need no token.
            """)

    @OptionGroup var common: DaemonOptions
    @Option(name: .customLong("data-dir"), help: "Directory holding extents/ and trash/ (created if missing).") var dataDir: String?
    @Option(help: "Zone name; with --node-id, recorded in the data directory on first start and checked on every start.") var zone: String?
    @Option(name: .customLong("node-id"), help: "The node's id in the zone's block index (with --zone).") var nodeID: Int?
    @Option(name: .customLong("tokens-file"), help: "File of reader:<token> / admin:<token> lines.") var tokensFile: String?
    @Option(help: "fdatasync each write before acknowledging it: true (default) or false (throwaway data only).") var fsync: Bool?
    @Option(name: .customLong("max-block-size"), help: "Largest block accepted, in bytes (default 4 MiB).") var maxBlockSize: Int?
    @Option(name: .customLong("disk-check-ms"), help: "How often to check that every indexed extent is still on disk (default 5000).") var diskCheckMs: Int?

    static let settingKeys = SettingKeys(
        ["zone", "node-id", "data-dir", "tokens-file", "fsync", "max-block-size", "disk-check-ms"], secrets: ["reader-token", "admin-token"])

    func run() async throws {
        let (settings, registry) = try common.start(environmentPrefix: "VIGIL_NODE_", keys: Self.settingKeys)
        var logger = Logger(label: "vigil-node")

        var tokens = TokenSet(
            reader: settings.string("reader-token"), admin: settings.string("admin-token"))
        if let file = settings.string("tokens-file", option: tokensFile) { tokens = try TokenSet.load(file: file) }
        guard !tokens.isEmpty else {
            throw ValidationError("no tokens: give --tokens-file or set VIGIL_NODE_READER_TOKEN and VIGIL_NODE_ADMIN_TOKEN")
        }
        var nodeConfig = NodeConfig(dataDirectory: try settings.require("data-dir", option: dataDir), tokens: tokens)
        nodeConfig.host = common.host(settings, default: nodeConfig.host)
        nodeConfig.port = try common.port(settings, default: nodeConfig.port)
        nodeConfig.fsync = try settings.bool("fsync", option: fsync, default: true)
        nodeConfig.maxBlockSize = try settings.int("max-block-size", option: maxBlockSize, default: nodeConfig.maxBlockSize)
        nodeConfig.identity = try identity(settings)
        logger[metadataKey: LogKey.node] = "\(nodeConfig.host):\(nodeConfig.port)"

        let store = try await NodeStore.open(config: nodeConfig, logger: logger)
        let health = HealthBoard()
        let watch = DiskWatch(
            store: store, interval: .milliseconds(try settings.int("disk-check-ms", option: diskCheckMs, default: 5000)),
            health: health, logger: logger)
        let app = buildNodeApplication(store: store, registry: registry, health: health, logger: logger)
        try await runDaemon([watch, app], logger: logger)
    }

    /// The node's identity when both --zone and --node-id are given, nil when neither is.
    private func identity(_ settings: DaemonSettings) throws -> NodeIdentity? {
        let zone = settings.string("zone", option: zone)
        let id = try settings.int("node-id", option: nodeID, default: 0)
        switch (zone, id) {
        case (nil, 0): return nil
        case let (zone?, id) where !zone.isEmpty && id > 0: return NodeIdentity(zone: zone, nodeID: id)
        default: throw ValidationError("give both --zone and --node-id (a positive id), or neither")
        }
    }
}

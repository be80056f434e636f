import ArgumentParser
import Logging
import VigilCore
import VigilDaemon
import VigilExtentReferee
import VigilTelemetry

@main
struct ExtentRefereeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-extent-referee",
        abstract: "Watch a node's data directories and check every move and unlink of an extent.",
        discussion: """
            Uses Linux inotify on extents/ and trash/. A move into trash must match a recorded \
            delete instruction for this node, volume and generation; an unlink from trash must \
            match an unlink instruction and a passed inspection older than the retention; an \
            extent vanishing from extents/ any other way, or renamed anywhere else, is a critical \
            finding. At start and after an inotify overflow it reconciles the directories with \
            the index. Settings also come from VIGIL_EXTENT_REFEREE_<SETTING> or a JSON --config file.
            """)

    @OptionGroup var common: VerifierOptions
    @Option(help: "Zone name.") var zone: String?
    @Option(name: .customLong("node-id"), help: "The node's id in the zone's block index.") var nodeID: Int?
    @Option(name: .customLong("data-dir"), help: "The node's data directory; refused when its node-identity.json names another node.") var dataDir: String?
    @Option(help: "postgresql:// URL of the zone's block index.") var database: String?
    @Option(name: .customLong("retention-seconds"), help: "The master's retention (default 86400; dev 5).") var retentionSeconds: Int?

    func run() async throws {
        let (settings, registry) = try common.start(
            environmentPrefix: "VIGIL_EXTENT_REFEREE_", keys: SettingKeys(["zone", "node-id", "data-dir", "database", "retention-seconds"]))
        var refereeConfig = ExtentRefereeConfig(
            zone: try settings.require("zone", option: zone), nodeID: try settings.int("node-id", option: nodeID, default: 0),
            dataDirectory: try settings.require("data-dir", option: dataDir), databaseURL: try settings.require("database", option: database))
        guard refereeConfig.nodeID > 0 else { throw ValidationError("give --node-id (the node's id in the block index)") }
        if try common.isDevProfile(settings) { refereeConfig.applyDevProfile() }
        if let seconds = try settings.string("retention-seconds", option: retentionSeconds.map(String.init)).map({ text -> Int in
            guard let v = Int(text), v >= 0 else { throw ValidationError("--retention-seconds must be a whole number") }
            return v
        }) { refereeConfig.retention = .seconds(seconds) }
        refereeConfig.host = common.host(settings, default: refereeConfig.host)
        refereeConfig.port = try common.port(settings, default: refereeConfig.port)
        var logger = Logger(label: "vigil-extent-referee")
        logger[metadataKey: LogKey.zone] = "\(refereeConfig.zone)"
        logger[metadataKey: LogKey.node] = "\(refereeConfig.nodeID)"
        try NodeIdentity(zone: refereeConfig.zone, nodeID: refereeConfig.nodeID)
            .verify(dataDirectory: refereeConfig.dataDirectory) { logger.warning("\($0)") }
        try await runDaemon(buildExtentReferee(config: refereeConfig, registry: registry, logger: logger), logger: logger)
    }
}

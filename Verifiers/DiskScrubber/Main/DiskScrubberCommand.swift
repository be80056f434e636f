import ArgumentParser
import Logging
import VigilCore
import VigilDaemon
import VigilDiskScrubber
import VigilTelemetry

@main
struct DiskScrubberCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-disk-scrubber",
        abstract: "Read every byte of every extent on a node host and verify every record.",
        discussion: """
            Reads the node's data directory directly (not through its API), sequentially, \
            rate-limited: record CRCs, SHA-256(data) = key, footer against records. Each \
            problem is a finding (node, extent, offset, key, kind) and a repair request for \
            that replica; a finding is resolved when a later scan of the extent is clean. A \
            second lane rescans recently modified extents often. The cursor is saved after \
            every extent: a restart resumes the pass. Production sweeps every 14 days; \
            --profile dev sweeps in seconds. Settings also come from \
            VIGIL_DISK_SCRUBBER_<SETTING> or a JSON --config file.
            """)

    @OptionGroup var common: VerifierOptions
    @Option(help: "Zone name.") var zone: String?
    @Option(name: .customLong("node-id"), help: "The node's id in the zone's block index.") var nodeID: Int?
    @Option(name: .customLong("data-dir"), help: "The node's data directory (holding extents/ and trash/); refused when its node-identity.json names another node.") var dataDir: String?
    @Option(help: "postgresql:// URL of the zone's block index.") var database: String?
    @Option(name: .customLong("rate-mb"), help: "Read rate in MB/s (default: sized for a sweep every 14 days).") var rateMB: Double?

    func run() async throws {
        let (settings, registry) = try common.start(
            environmentPrefix: "VIGIL_DISK_SCRUBBER_", keys: SettingKeys(["zone", "node-id", "data-dir", "database", "rate-mb"]))
        var scrubberConfig = DiskScrubberConfig(
            zone: try settings.require("zone", option: zone),
            nodeID: try settings.int("node-id", option: nodeID, default: 0),
            dataDirectory: try settings.require("data-dir", option: dataDir),
            databaseURL: try settings.require("database", option: database))
        guard scrubberConfig.nodeID > 0 else { throw ValidationError("give --node-id (the node's id in the block index)") }
        if try common.isDevProfile(settings) { scrubberConfig.applyDevProfile() }
        if let mb = try settings.string("rate-mb", option: rateMB.map { "\($0)" }).map({ text -> Double in
            guard let v = Double(text), v > 0 else { throw ValidationError("--rate-mb must be a positive number") }
            return v
        }) {
            scrubberConfig.rateBytesPerSecond = mb * 1_000_000
        }
        scrubberConfig.host = common.host(settings, default: scrubberConfig.host)
        scrubberConfig.port = try common.port(settings, default: scrubberConfig.port)
        var logger = Logger(label: "vigil-disk-scrubber")
        logger[metadataKey: LogKey.zone] = "\(scrubberConfig.zone)"
        logger[metadataKey: LogKey.node] = "\(scrubberConfig.nodeID)"
        try NodeIdentity(zone: scrubberConfig.zone, nodeID: scrubberConfig.nodeID)
            .verify(dataDirectory: scrubberConfig.dataDirectory) { logger.warning("\($0)") }
        let services = try await buildDiskScrubber(config: scrubberConfig, registry: registry, logger: logger)
        try await runDaemon(services, logger: logger)
    }
}

import ArgumentParser
import Logging
import VigilCore
import VigilDaemon
import VigilMetadataScanner
import VigilTelemetry

@main
struct MetadataScannerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-metadata-scanner",
        abstract: "Prove every block in a zone's index is on every node that should hold it.",
        discussion: """
            Streams the block index in key order (bounded memory), maps each block to its \
            volume's live replicas, and asks each node in large batches through the \
            presence API. Findings: missing, only_in_trash, under_replicated, no_replicas, \
            unknown_volume; missing replicas get repair requests. A node that does not answer \
            is node_unreachable — never missing — and its blocks are rechecked when it \
            returns. --shard I/N (I from 1) splits the key space between N scanners, each with \
            its own cursor and pass. Settings also come from VIGIL_METADATA_SCANNER_<SETTING> \
            or a JSON --config file; the reader token from --node-token-file or \
            VIGIL_METADATA_SCANNER_NODE_TOKEN.
            """)

    @OptionGroup var common: VerifierOptions
    @Option(help: "Zone name.") var zone: String?
    @Option(help: "postgresql:// URL of the zone's block index.") var database: String?
    @Option(name: .customLong("node-token-file"), help: "File holding a reader token for the zone's nodes.") var nodeTokenFile: String?
    @Option(help: "This scanner's shard, I/N with I counted from 1 (default 1/1).") var shard: String?
    @Option(name: .customLong("rate"), help: "Blocks per second (default: sized for the profile's sweep).") var rate: Double?
    @Option(name: .customLong("page-size"), help: "Rows per step: one index page, one presence batch per node (default 100000).") var pageSize: Int?
    @Option(name: .customLong("pass-interval-ms"), help: "Pause between passes in milliseconds (default 60000; dev 500).") var passIntervalMs: Int?

    func run() async throws {
        let (settings, registry) = try common.start(
            environmentPrefix: "VIGIL_METADATA_SCANNER_", keys: SettingKeys(["zone", "database", "node-token-file", "shard", "rate", "page-size", "pass-interval-ms"], secrets: ["node-token"]))
        var scannerConfig = MetadataScannerConfig(
            zone: try settings.require("zone", option: zone), databaseURL: try settings.require("database", option: database),
            nodeToken: try readSecret(settings, "node-token", file: nodeTokenFile))
        if let text = settings.string("shard", option: shard) {
            guard let (index, count) = KeyRange.parseShard(text) else {
                throw ValidationError("--shard takes I/N with 1 <= I <= N, e.g. 3/8")
            }
            (scannerConfig.shardIndex, scannerConfig.shardCount) = (index, count)
        }
        if try common.isDevProfile(settings) { scannerConfig.applyDevProfile() }
        scannerConfig.rateBlocksPerSecond = try settings.string("rate", option: rate.map { "\($0)" }).map {
            guard let v = Double($0), v > 0 else { throw ValidationError("--rate must be a positive number") }
            return v
        }
        scannerConfig.pageSize = try settings.int("page-size", option: pageSize, default: scannerConfig.pageSize)
        if settings.string("pass-interval-ms", option: passIntervalMs.map(String.init)) != nil {
            let ms = try settings.int("pass-interval-ms", option: passIntervalMs, default: 0)
            guard ms >= 0 else { throw ValidationError("--pass-interval-ms must be 0 or more") }
            scannerConfig.passInterval = .milliseconds(ms)
        }
        scannerConfig.host = common.host(settings, default: scannerConfig.host)
        scannerConfig.port = try common.port(settings, default: scannerConfig.port)
        var logger = Logger(label: "vigil-metadata-scanner")
        logger[metadataKey: LogKey.zone] = "\(scannerConfig.zone)"
        let services = try await buildMetadataScanner(config: scannerConfig, registry: registry, logger: logger)
        try await runDaemon(services, logger: logger)
    }
}

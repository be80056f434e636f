import ArgumentParser
import Logging
import VigilDaemon
import VigilMaster
import VigilTelemetry
import Hummingbird

@main
struct MasterDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-master",
        abstract: "Run a zone's master: seal volumes that stopped taking writes, execute the repair queue.",
        discussion: """
            A repair copies a replica that verifies clean record by record, and holds every \
            live block of its volume, over the bad or missing one; the target node verifies \
            it again before it replaces anything. Kill it at any time: work resumes from the \
            index. Trash, unlink, install-over and drain are capped per window at a share \
            of each node's and of the zone's extents (blast_radius_exceeded findings); \
            `vigil drain N --lift-blast-radius-cap` lifts it for a decommission. A dead node's \
            volumes (`vigil nodes retire N --dead`, or --dead-after-seconds) are copied back to R \
            replicas on other nodes from verified copies. \
            Settings also come from VIGIL_MASTER_<SETTING> or a JSON --config file.
            """)

    @OptionGroup var common: DaemonOptions
    @Option(help: "Zone name.") var zone: String?
    @Option(help: "postgresql:// URL of the zone's block index (or VIGIL_MASTER_DATABASE).") var database: String?
    @Option(name: .customLong("node-token-file"), help: "File holding the nodes' admin token.") var nodeTokenFile: String?
    @Option(help: "postgresql:// URL of the File Journal (read only): no trash extent is unlinked while it may hold a block the cross-zone verifier reports missing in the zone.")
    var journal: String?
    @Option(name: .customLong("work-dir"), help: "Where repairs stage extents while verifying them.") var workDir: String?
    @Option(name: .customLong("interval-ms"), help: "Pause between rounds in milliseconds (default 10000; dev 500).") var intervalMs: Int?
    @Option(name: .customLong("retention-seconds"), help: "Unlink trash only this long after a passed inspection (default 86400).") var retentionSeconds: Int?
    @Option(name: .customLong("gc-threshold"), help: "Compact sealed volumes whose deleted fraction reaches this (default 0.5; 0 turns GC off).") var gcThreshold: Double?
    @Option(name: .customLong("blast-radius-node-share"), help: "Most of one node's extents trash, unlink, install-over or drain may touch per window (default 0.10).")
    var blastRadiusNodeShare: Double?
    @Option(name: .customLong("blast-radius-zone-share"), help: "Most of the zone's extents one action may touch per window (default 0.05).")
    var blastRadiusZoneShare: Double?
    @Option(name: .customLong("blast-radius-window-seconds"), help: "The sliding window destructive steps are counted in (default 3600).")
    var blastRadiusWindowSeconds: Int?
    @Option(name: .customLong("blast-radius-min-node-extents"), help: "The node cap never goes below this many extents per window (default 64).")
    var blastRadiusMinNodeExtents: Int?
    @Option(name: .customLong("blast-radius-min-zone-extents"), help: "The zone cap never goes below this many extents per window (default 256).")
    var blastRadiusMinZoneExtents: Int?
    @Option(name: .customLong("dead-after-seconds"), help: """
        Declare a node dead after this long without answering a health probe, and re-create its replicas \
        elsewhere within the blast-radius cap (default 0: off; an operator runs `vigil nodes retire N --dead`). \
        Keep it well above a restart.
        """)
    var deadAfterSeconds: Int?
    @Option(name: .customLong("repair-timeout-seconds"), help: """
        The most one repair or one volume's re-replication may take; a slower one is abandoned and \
        retried next round, so one node that stops answering never stalls the round (default 600).
        """)
    var repairTimeoutSeconds: Int?

    static let settingKeys = SettingKeys(
        [
            "zone", "database", "journal", "node-token-file", "work-dir", "interval-ms", "retention-seconds", "gc-threshold",
            "blast-radius-node-share", "blast-radius-zone-share", "blast-radius-window-seconds",
            "blast-radius-min-node-extents", "blast-radius-min-zone-extents", "dead-after-seconds", "repair-timeout-seconds",
        ],
        secrets: ["node-token"])

    func run() async throws {
        let (settings, registry) = try common.start(environmentPrefix: "VIGIL_MASTER_", keys: Self.settingKeys)
        let zone = try settings.require("zone", option: zone)
        var logger = Logger(label: "vigil-master")
        logger[metadataKey: LogKey.zone] = "\(zone)"

        var masterConfig = MasterConfig(
            zone: zone, databaseURL: try settings.require("database", option: database),
            nodeToken: try readSecret(settings, "node-token", file: nodeTokenFile),
            workDirectory: try settings.require("work-dir", option: workDir))
        masterConfig.journalDatabaseURL = settings.string("journal", option: journal)
        masterConfig.interval = .milliseconds(try settings.int("interval-ms", option: intervalMs, default: 10_000))
        masterConfig.retention = .seconds(try settings.int("retention-seconds", option: retentionSeconds, default: 86_400))
        let threshold = try settings.double("gc-threshold", option: gcThreshold, default: 0.5)
        masterConfig.gcThreshold = threshold > 0 ? threshold : nil
        var cap = BlastRadiusCap()
        cap.nodeShare = try settings.double("blast-radius-node-share", option: blastRadiusNodeShare, default: cap.nodeShare)
        cap.zoneShare = try settings.double("blast-radius-zone-share", option: blastRadiusZoneShare, default: cap.zoneShare)
        cap.window = .seconds(try settings.int("blast-radius-window-seconds", option: blastRadiusWindowSeconds, default: 3600))
        cap.minimumNodeExtents = try settings.int("blast-radius-min-node-extents", option: blastRadiusMinNodeExtents, default: cap.minimumNodeExtents)
        cap.minimumZoneExtents = try settings.int("blast-radius-min-zone-extents", option: blastRadiusMinZoneExtents, default: cap.minimumZoneExtents)
        masterConfig.blastRadius = cap
        masterConfig.repairTimeout = .seconds(try settings.int("repair-timeout-seconds", option: repairTimeoutSeconds, default: 600))
        guard masterConfig.repairTimeout > .zero else { throw ValidationError("--repair-timeout-seconds must be positive") }
        let deadAfter = try settings.int("dead-after-seconds", option: deadAfterSeconds, default: 0)
        masterConfig.deadAfter = deadAfter > 0 ? .seconds(deadAfter) : nil
        masterConfig.host = common.host(settings, default: masterConfig.host)
        masterConfig.port = try common.port(settings, default: masterConfig.port)

        let master = try Master(config: masterConfig, logger: logger)
        let router = Router()
        router.addTelemetryRoutes(registry: registry) { master.health.summary() }
        let app = vigilApplication(
            router: router, limits: .control, host: masterConfig.host, port: masterConfig.port, serverName: "vigil-master", logger: logger)
        // Shut down in reverse: the server stops taking requests, the rounds
        // finish the one under way, then the pool closes.
        try await runDaemon(master.services + [app], logger: logger)
    }
}

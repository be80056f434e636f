import ArgumentParser
import Logging
import VigilDaemon
import VigilTelemetry
import VigilTrashInspector

@main
struct TrashInspectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-trash-inspector",
        abstract: "Inspect every trash extent: each of its blocks must be deleted, or live and read back intact elsewhere.",
        discussion: """
            For every key in every trash extent of every node (the records that parse and the \
            footer's entries), the block must be marked deleted in the index, have no index row \
            (never committed: counted, not a failure), each of these two only while no live File \
            Journal file of a user homed in the zone references it (with --journal; else \
            deleted_while_referenced or unindexed_record, critical, and the extent fails), or be live and read back intact (SHA-256 \
            of the bytes is the key, the length is the index row's) from each live replica of its \
            volume other than the trash extent, at least R of them. An extent that does not parse \
            completely, or any other block, fails the inspection: recorded in trash_inspections, \
            one critical finding per extent (trash_inspection_failed), and the master refuses to \
            unlink it. A replica that does not answer leaves the extent not judged: nothing is \
            recorded and it stays in trash until a later pass judges it. Settings also come from \
            VIGIL_TRASH_INSPECTOR_<SETTING> or a JSON --config file.
            """)

    @OptionGroup var common: VerifierOptions
    @Option(help: "Zone name.") var zone: String?
    @Option(help: "postgresql:// URL of the zone's block index.") var database: String?
    @Option(name: .customLong("node-token-file"), help: "File holding a reader token for the zone's nodes.") var nodeTokenFile: String?
    @Option(name: .customLong("work-dir"), help: "Where trash extents are staged while inspected.") var workDir: String?
    @Option(help: "postgresql:// URL of the File Journal (read only): a deleted or unindexed block a live file of a user homed in the zone references fails its trash extent.")
    var journal: String?
    @Option(name: .customLong("pass-interval-ms"), help: "Pause between passes in milliseconds (default 600000; dev 500).") var passIntervalMs: Int?
    @Option(name: .customLong("rejudge-after-seconds"),
            help: "Judge a passed, unchanged trash extent again once its verdict is this old (default 21600; dev 300).") var rejudgeAfterSeconds: Int?

    func run() async throws {
        let (settings, registry) = try common.start(
            environmentPrefix: "VIGIL_TRASH_INSPECTOR_", keys: SettingKeys(["zone", "database", "journal", "node-token-file", "work-dir", "pass-interval-ms", "rejudge-after-seconds"], secrets: ["node-token"]))
        var inspectorConfig = TrashInspectorConfig(
            zone: try settings.require("zone", option: zone), databaseURL: try settings.require("database", option: database),
            nodeToken: try readSecret(settings, "node-token", file: nodeTokenFile), workDirectory: try settings.require("work-dir", option: workDir))
        if try common.isDevProfile(settings) { inspectorConfig.applyDevProfile() }
        inspectorConfig.journalDatabaseURL = settings.string("journal", option: journal)
        if settings.string("pass-interval-ms", option: passIntervalMs.map(String.init)) != nil {
            let ms = try settings.int("pass-interval-ms", option: passIntervalMs, default: 0)
            guard ms >= 0 else { throw ValidationError("--pass-interval-ms must be 0 or more") }
            inspectorConfig.passInterval = .milliseconds(ms)
        }
        if settings.string("rejudge-after-seconds", option: rejudgeAfterSeconds.map(String.init)) != nil {
            let seconds = try settings.int("rejudge-after-seconds", option: rejudgeAfterSeconds, default: 0)
            guard seconds > 0 else { throw ValidationError("--rejudge-after-seconds must be 1 or more") }
            inspectorConfig.rejudgeAfter = .seconds(seconds)
        }
        inspectorConfig.host = common.host(settings, default: inspectorConfig.host)
        inspectorConfig.port = try common.port(settings, default: inspectorConfig.port)
        var logger = Logger(label: "vigil-trash-inspector")
        logger[metadataKey: LogKey.zone] = "\(inspectorConfig.zone)"
        if inspectorConfig.journalDatabaseURL == nil {
            logger.warning("no --journal: a deleted or unindexed block another live file still references passes inspection (judged from the index alone)")
        }
        try await runDaemon(buildTrashInspector(config: inspectorConfig, registry: registry, logger: logger), logger: logger)
    }
}

import ArgumentParser
import Logging
import VigilCrossZoneVerifier
import VigilDaemon
import VigilTelemetry

@main
struct CrossZoneVerifierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-cross-zone-verifier",
        abstract: "Check the File Journal against every zone, in both directions.",
        discussion: """
            Walks the journal in key order and checks every block of every file is live in \
            every zone of its user (batched index lookups; --deep also asks the nodes): \
            missing_in_zone (user, file, zone, key). Then walks each zone's index and finds \
            live blocks no file references: unreferenced_in_zone (zone, key). Files and blocks \
            younger than --grace-seconds are not judged. Findings, passes and the cursor live \
            in the journal's database. Settings also come from VIGIL_CROSS_ZONE_<SETTING> \
            (zones as "zone-a=URL,zone-b=URL") or a JSON --config file.
            """)

    @OptionGroup var common: VerifierOptions
    @Option(help: "postgresql:// URL of the File Journal.") var journal: String?
    @Option(name: .customLong("zone"), help: "A zone as NAME=DATABASE_URL. Repeatable.") var zones: [String] = []
    @Flag(help: "Also ask each zone's nodes whether the block's replicas hold it.") var deep = false
    @Option(name: .customLong("node-token-file"), help: "File holding a reader token for the nodes (with --deep).") var nodeTokenFile: String?
    @Option(name: .customLong("grace-seconds"), help: "Do not judge files or blocks younger than this (default 3600; dev 3).") var graceSeconds: Int?

    func run() async throws {
        let (settings, registry) = try common.start(
            environmentPrefix: "VIGIL_CROSS_ZONE_", keys: SettingKeys(["journal", "zones", "deep", "node-token-file", "grace-seconds"], secrets: ["node-token"]))
        let zoneTexts = zones.isEmpty ? (settings.string("zones")?.split(separator: ",").map(String.init) ?? []) : zones
        let parsed = zoneTexts.compactMap(CrossZoneConfig.parseZone)
        guard !parsed.isEmpty, parsed.count == zoneTexts.count else { throw ValidationError("give each zone as --zone NAME=DATABASE_URL") }
        var verifierConfig = CrossZoneConfig(journalURL: try settings.require("journal", option: journal), zones: parsed)
        verifierConfig.deep = try settings.bool("deep", option: deep ? true : nil, default: false)
        if verifierConfig.deep { verifierConfig.nodeToken = try readSecret(settings, "node-token", file: nodeTokenFile) }
        if try common.isDevProfile(settings) { verifierConfig.applyDevProfile() }
        if let grace = try settings.string("grace-seconds", option: graceSeconds.map(String.init)).map({ text -> Int in
            guard let v = Int(text), v >= 0 else { throw ValidationError("--grace-seconds must be a whole number") }
            return v
        }) { verifierConfig.grace = .seconds(grace) }
        verifierConfig.host = common.host(settings, default: verifierConfig.host)
        verifierConfig.port = try common.port(settings, default: verifierConfig.port)
        let logger = Logger(label: "vigil-cross-zone-verifier")
        try await runDaemon(buildCrossZoneVerifier(config: verifierConfig, registry: registry, logger: logger), logger: logger)
    }
}

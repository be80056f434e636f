import ArgumentParser
import Logging
import VigilCore
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
            younger than --grace-seconds are not judged. --shard I/N (I from 1) splits the \
            key space between N verifiers, each with its own cursor and pass (scope \
            global/shard-I-of-N); each pass is paced to finish within the sweep period \
            unless --rate is given. Findings, passes and the cursor live in the journal's database. Settings also come from VIGIL_CROSS_ZONE_<SETTING> \
            (zones as "zone-a=URL,zone-b=URL") or a JSON --config file.
            """)

    @OptionGroup var common: VerifierOptions
    @Option(help: "postgresql:// URL of the File Journal.") var journal: String?
    @Option(name: .customLong("zone"), help: "A zone as NAME=DATABASE_URL. Repeatable.") var zones: [String] = []
    @Flag(help: "Also ask each zone's nodes whether the block's replicas hold it.") var deep = false
    @Option(name: .customLong("node-token-file"), help: "File holding a reader token for the nodes (with --deep).") var nodeTokenFile: String?
    @Option(help: "This verifier's shard, I/N with I counted from 1 (default 1/1).") var shard: String?
    @Option(name: .customLong("rate"), help: "Keys per second (default: paced to finish each pass within a week).") var rate: Double?
    @Option(name: .customLong("grace-seconds"), help: "Do not judge files or blocks younger than this (default 3600; dev 3).") var graceSeconds: Int?

    func run() async throws {
        let (settings, registry) = try common.start(
            environmentPrefix: "VIGIL_CROSS_ZONE_", keys: SettingKeys(["journal", "zones", "deep", "node-token-file", "grace-seconds", "shard", "rate"], secrets: ["node-token"]))
        let zoneTexts = zones.isEmpty ? (settings.string("zones")?.split(separator: ",").map(String.init) ?? []) : zones
        let parsed = zoneTexts.compactMap(CrossZoneConfig.parseZone)
        guard !parsed.isEmpty, parsed.count == zoneTexts.count else { throw ValidationError("give each zone as --zone NAME=DATABASE_URL") }
        var verifierConfig = CrossZoneConfig(journalURL: try settings.require("journal", option: journal), zones: parsed)
        verifierConfig.deep = try settings.bool("deep", option: deep ? true : nil, default: false)
        if verifierConfig.deep { verifierConfig.nodeToken = try readSecret(settings, "node-token", file: nodeTokenFile) }
        if let text = settings.string("shard", option: shard) {
            guard let (index, count) = KeyRange.parseShard(text) else { throw ValidationError("--shard takes I/N with 1 <= I <= N, e.g. 3/8") }
            (verifierConfig.shardIndex, verifierConfig.shardCount) = (index, count)
        }
        if try common.isDevProfile(settings) { verifierConfig.applyDevProfile() }
        verifierConfig.rateKeysPerSecond = try settings.string("rate", option: rate.map { "\($0)" }).map {
            guard let v = Double($0), v > 0 else { throw ValidationError("--rate must be a positive number") }
            return v
        }
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

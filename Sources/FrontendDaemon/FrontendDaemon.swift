import ArgumentParser
import Logging
import VigilDaemon
import VigilFrontend
import VigilTelemetry

@main
struct FrontendDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-frontend",
        abstract: "Serve a zone's public block API: PUT, GET (SHA-256 verified), DELETE.",
        discussion: """
            PUT /v1/blocks stores a block on all R replicas of an open volume, then commits \
            it to the block index, then samples ~1% of writes to Kafka topic \
            vigil.samples.<zone>. GET /v1/blocks/<key> verifies SHA-256 and falls back to \
            another replica (queueing a repair) on any mismatch. Settings also come from \
            VIGIL_FRONTEND_<SETTING> or a JSON --config file; the node token only from \
            VIGIL_FRONTEND_NODE_TOKEN or --node-token-file. Clients need a bearer token: \
            --tokens-file (VIGIL_FRONTEND_TOKENS_FILE) holds <role>:<token> lines with role \
            read (GET), write (PUT), delete (DELETE) or admin (all), or set \
            VIGIL_FRONTEND_READ_TOKEN, _WRITE_TOKEN, _DELETE_TOKEN, _ADMIN_TOKEN. No or a wrong \
            token is 401, a token without the role 403. A PUT tells only callers with the \
            read role whether the block was stored already. /healthz and /metrics need no token. \
            With --kafka, samples are signed (HMAC-SHA256) with the first key of --sample-key-file or \
            VIGIL_FRONTEND_SAMPLE_KEY (<id>:<hex secret> lines; never on the command line); \
            --kafka-properties-file gives librdkafka name=value properties such as SASL credentials.
            """)

    @OptionGroup var common: DaemonOptions
    @Option(help: "Zone name (names the sample topic).") var zone: String?
    @Option(help: "postgresql:// URL of the zone's block index (or VIGIL_FRONTEND_DATABASE).") var database: String?
    @Option(name: .customLong("node-token-file"), help: "File holding the nodes' admin token.") var nodeTokenFile: String?
    @Option(name: .customLong("tokens-file"), help: "File of <role>:<token> lines (roles read, write, delete, admin).") var tokensFile: String?
    @Option(help: "Replicas per volume (default 3).") var replication: Int?
    @Option(name: .customLong("volume-target-bytes"), help: "Seal volumes at this size (default 1 GiB).") var volumeTargetBytes: Int?
    @Option(name: .customLong("kafka"), help: "Kafka bootstrap servers for write samples (none: sampling off).") var kafka: String?
    @Option(name: .customLong("sample-key-file"), help: "File of <id>:<hex secret> sample keys; the first signs.") var sampleKeyFile: String?
    @Option(name: .customLong("kafka-properties-file"), help: "File of librdkafka name=value properties (SASL credentials, TLS).") var kafkaPropertiesFile: String?
    @Option(name: .customLong("sample-rate"), help: "Fraction of writes sampled (default 0.01).") var sampleRate: Double?

    static let settingKeys = SettingKeys(
        [
            "zone", "database", "node-token-file", "tokens-file", "replication", "volume-target-bytes", "kafka",
            "sample-key-file", "kafka-properties-file", "sample-rate",
        ],
        secrets: ["node-token", "sample-key", "read-token", "write-token", "delete-token", "admin-token"])

    func run() async throws {
        let (settings, registry) = try common.start(environmentPrefix: "VIGIL_FRONTEND_", keys: Self.settingKeys)
        let zone = try settings.require("zone", option: zone)
        var logger = Logger(label: "vigil-frontend")
        logger[metadataKey: LogKey.zone] = "\(zone)"

        var tokens = FrontendTokens([
            .read: settings.string("read-token"), .write: settings.string("write-token"),
            .delete: settings.string("delete-token"), .admin: settings.string("admin-token"),
        ].compactMapValues { $0 })
        if let file = settings.string("tokens-file", option: tokensFile) { tokens = try FrontendTokens.load(file: file) }
        guard !tokens.isEmpty else {
            throw ValidationError("no client tokens: give --tokens-file or set VIGIL_FRONTEND_ADMIN_TOKEN (and _READ_, _WRITE_, _DELETE_TOKEN)")
        }
        var frontendConfig = FrontendConfig(
            zone: zone, databaseURL: try settings.require("database", option: database),
            nodeToken: try readSecret(settings, "node-token", file: nodeTokenFile), tokens: tokens)
        frontendConfig.host = common.host(settings, default: frontendConfig.host)
        frontendConfig.port = try common.port(settings, default: frontendConfig.port)
        frontendConfig.replication = try settings.int("replication", option: replication, default: 3)
        frontendConfig.volumeTargetBytes = Int64(try settings.int("volume-target-bytes", option: volumeTargetBytes, default: 1 << 30))
        frontendConfig.kafkaBootstrap = settings.string("kafka", option: kafka)
        if frontendConfig.kafkaBootstrap != nil {
            try frontendConfig.setSampleKeys(readSecret(settings, "sample-key", file: sampleKeyFile))
            if let file = settings.string("kafka-properties-file", option: kafkaPropertiesFile) { try frontendConfig.loadKafkaProperties(file: file) }
        }
        frontendConfig.sampleRate = try settings.double("sample-rate", option: sampleRate, default: 0.01)

        let frontend = try Frontend(config: frontendConfig, logger: logger)
        try await frontend.start()
        let app = buildFrontendApplication(frontend: frontend, registry: registry, logger: logger)
        // Shut down in reverse: the server stops taking requests, then the
        // allocator, then the sampler's Kafka producer flushes what it holds, then the pool closes.
        try await runDaemon(frontend.services + [app], logger: logger)
    }
}

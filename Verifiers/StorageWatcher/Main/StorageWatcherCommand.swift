import ArgumentParser
import Logging
import VigilDaemon
import VigilStorageWatcher
import VigilTelemetry

@main
struct StorageWatcherCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-storage-watcher",
        abstract: "Read back sampled writes through the frontend after 1 minute, 1 hour, 1 day, 1 week and 1 month.",
        discussion: """
            A black box: consumes the zone's sample topic (vigil.samples.<zone>) with one \
            consumer group per stage (vigil-watcher-<zone>-<stage>), holds each sample until \
            written-at plus the stage's delay (pausing partitions, not busy-polling), then \
            reads the block through the public frontend API only and verifies SHA-256 and \
            length. A block deleted through the API counts as expected-absent; any other \
            failure is a finding with stage and key, reported only when the frontend answered \
            and no replica served the right bytes; a frontend that does not answer is its own \
            condition (frontend_unavailable) and the samples wait. Undecodable samples and \
            samples written beyond --max-clock-skew in the future are malformed (one \
            malformed_sample finding per partition), never held. Each partition is committed \
            only up to its first sample not yet checked. Settings also come from VIGIL_STORAGE_WATCHER_<SETTING> or a JSON \
            --config file. The frontend token (the read role is all the watcher needs) comes only from \
            --frontend-token-file or VIGIL_STORAGE_WATCHER_FRONTEND_TOKEN. Samples must carry an \
            HMAC by a key of --sample-key-file or VIGIL_STORAGE_WATCHER_SAMPLE_KEY (<id>:<hex secret> \
            lines, the current key first, then the previous while keys rotate); unauthenticated \
            (version 1), forged or wrong-zone samples are malformed, unless \
            --accept-unauthenticated-samples admits version 1 during an upgrade (counted in \
            vigil_watcher_unauthenticated_samples_total). Kafka authentication (SASL) comes from \
            --kafka-properties-file, librdkafka name=value lines.
            """)

    @OptionGroup var common: VerifierOptions
    @Option(help: "Zone name.") var zone: String?
    @Option(help: "Kafka bootstrap servers.") var kafka: String?
    @Option(help: "The zone frontend's URL.") var frontend: String?
    @Option(name: .customLong("frontend-token-file"), help: "File holding a frontend token with the read role.") var frontendTokenFile: String?
    @Option(help: "postgresql:// URL of the zone's block index (findings and passes only).") var database: String?
    @Option(help: "Stage delays, e.g. 1m,1h,1d,7d,30d (units s, m, h, d).") var stages: String?
    @Option(name: .customLong("sample-key-file"), help: "File of <id>:<hex secret> sample keys (current first, then previous).") var sampleKeyFile: String?
    @Flag(name: .customLong("accept-unauthenticated-samples"), help: "Admit version-1 samples without a MAC (an upgrade window); they are counted.") var acceptUnauthenticatedSamples = false
    @Option(name: .customLong("kafka-properties-file"), help: "File of librdkafka name=value properties (SASL credentials, TLS).") var kafkaPropertiesFile: String?
    @Option(help: "How far ahead of now a sample's written-at may be before it is malformed, e.g. 5m (the default).") var maxClockSkew: String?

    func run() async throws {
        let (settings, registry) = try common.start(
            environmentPrefix: "VIGIL_STORAGE_WATCHER_",
            keys: SettingKeys([
                "zone", "kafka", "frontend", "frontend-token-file", "database", "stages", "sample-key-file",
                "accept-unauthenticated-samples", "kafka-properties-file", "max-clock-skew",
            ], secrets: ["frontend-token", "sample-key"]))
        var watcherConfig = StorageWatcherConfig(
            zone: try settings.require("zone", option: zone), kafkaBootstrap: try settings.require("kafka", option: kafka),
            frontendURL: try settings.require("frontend", option: frontend), databaseURL: try settings.require("database", option: database))
        watcherConfig.frontendToken = try readSecret(settings, "frontend-token", file: frontendTokenFile)
        try watcherConfig.setSampleKeys(readSecret(settings, "sample-key", file: sampleKeyFile))
        watcherConfig.acceptUnauthenticatedSamples = acceptUnauthenticatedSamples || settings.string("accept-unauthenticated-samples") == "true"
        if let file = settings.string("kafka-properties-file", option: kafkaPropertiesFile) {
            try watcherConfig.loadKafkaProperties(file: file)
        }
        if try common.isDevProfile(settings) { watcherConfig.applyDevProfile() }
        if let text = settings.string("stages", option: stages) {
            guard let parsed = StorageWatcherConfig.parseStages(text) else { throw ValidationError("--stages takes delays like 1m,1h,1d,7d,30d") }
            watcherConfig.stages = parsed
        }
        if let text = settings.string("max-clock-skew", option: maxClockSkew) {
            guard let skew = StorageWatcherConfig.parseDuration(text) else { throw ValidationError("--max-clock-skew takes a duration like 5m") }
            watcherConfig.maxClockSkew = skew
        }
        watcherConfig.host = common.host(settings, default: watcherConfig.host)
        watcherConfig.port = try common.port(settings, default: watcherConfig.port)
        var logger = Logger(label: "vigil-storage-watcher")
        logger[metadataKey: LogKey.zone] = "\(watcherConfig.zone)"
        try await runDaemon(buildStorageWatcher(config: watcherConfig, registry: registry, logger: logger), logger: logger)
    }
}

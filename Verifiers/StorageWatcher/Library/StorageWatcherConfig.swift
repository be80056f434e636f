import VigilCore
import VigilKafka
import VigilVerifier

/// Configuration of a zone's storage watcher.
public struct StorageWatcherConfig: Sendable {
    public struct Stage: Sendable, Equatable {
        public var name: String
        public var delay: Duration
    }

    public var zone: String
    public var kafkaBootstrap: String
    /// The zone frontend's public URL: the only way the watcher reads blocks.
    public var frontendURL: String
    public var frontendToken: String?
    public var databaseURL: String
    public var profile: CadenceProfile = .production
    /// Magic Pocket's read-back delays.
    public var stages: [Stage] = StorageWatcherConfig.parseStages("1m,1h,1d,7d,30d")!
    /// Length of one ledger "pass" per stage: the checks in a window.
    public var window: Duration = .seconds(3600)
    /// The most one round of a stage (a poll, the checks that fell due, their
    /// records and the commit) may take: a stage that long late is overdue on `/healthz`.
    public var stageOverdueAfter: Duration = .seconds(120)
    /// Reads in flight at once per stage.
    public var concurrency = 32
    /// How far in the future a sample's written-at may be (frontend clocks run
    /// ahead) before the sample is malformed: reported once, never held.
    public var maxClockSkew: Duration = .seconds(300)
    /// The keys samples must be signed with (current first, then the previous
    /// one while keys rotate). Nil: every sample is refused as malformed.
    public var sampleKeys: SampleKeyring?
    /// Admit unauthenticated version-1 samples (an old frontend during an
    /// upgrade): checked like others, and counted. Off: they are malformed.
    public var acceptUnauthenticatedSamples = false
    /// Extra librdkafka properties (SASL, TLS) for the stages' consumers.
    public var kafkaSettings: [String: String] = [:]
    public var host = "127.0.0.1"
    public var port = 7400

    public init(zone: String, kafkaBootstrap: String, frontendURL: String, databaseURL: String) {
        self.zone = zone
        self.kafkaBootstrap = kafkaBootstrap
        self.frontendURL = frontendURL
        self.databaseURL = databaseURL
    }

    public mutating func applyDevProfile() {
        profile = .dev
        stages = Self.parseStages("1s,2s,3s,4s,5s")!
        window = .seconds(5)
    }

    /// Sets the sample keys from their text form (`SampleKeyring.parse`).
    public mutating func setSampleKeys(_ text: String) throws { sampleKeys = try SampleKeyring.parse(text) }

    /// Reads extra librdkafka properties (SASL, TLS) from a `name=value` file.
    public mutating func loadKafkaProperties(file: String) throws { kafkaSettings = try KafkaClientProperties.load(file: file) }

    /// How a stage decides which messages are samples it believes.
    public var sampleVerifier: SampleVerifier {
        SampleVerifier(keyring: sampleKeys, zone: zone, acceptUnauthenticated: acceptUnauthenticatedSamples)
    }

    public var topic: String { "vigil.samples.\(zone)" }
    public func groupID(_ stage: Stage) -> String { "vigil-watcher-\(zone)-\(stage.name)" }

    /// Parses `1m,1h,1d,7d,30d` (units s, m, h, d).
    public static func parseStages(_ text: String) -> [Stage]? {
        var stages: [Stage] = []
        for item in text.split(separator: ",") {
            let name = item.trimmingCharacters(in: .whitespaces)
            guard let delay = parseDuration(name) else { return nil }
            stages.append(Stage(name: name, delay: delay))
        }
        return stages.isEmpty ? nil : stages
    }

    /// Parses one duration such as `30s`, `5m`, `1h`, `30d`.
    public static func parseDuration(_ text: String) -> Duration? {
        guard let unit = text.last, let n = Int64(text.dropLast()), n >= 0 else { return nil }
        switch unit {
        case "s": return .seconds(n)
        case "m": return .seconds(n * 60)
        case "h": return .seconds(n * 3600)
        case "d": return .seconds(n * 86_400)
        default: return nil
        }
    }
}

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
    /// Reads in flight at once per stage.
    public var concurrency = 32
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

    public var topic: String { "vigil.samples.\(zone)" }
    public func groupID(_ stage: Stage) -> String { "vigil-watcher-\(zone)-\(stage.name)" }

    /// Parses `1m,1h,1d,7d,30d` (units s, m, h, d).
    public static func parseStages(_ text: String) -> [Stage]? {
        var stages: [Stage] = []
        for item in text.split(separator: ",") {
            let name = item.trimmingCharacters(in: .whitespaces)
            guard let unit = name.last, let n = Int64(name.dropLast()), n >= 0 else { return nil }
            let seconds: Int64
            switch unit {
            case "s": seconds = n
            case "m": seconds = n * 60
            case "h": seconds = n * 3600
            case "d": seconds = n * 86_400
            default: return nil
            }
            stages.append(Stage(name: name, delay: .seconds(seconds)))
        }
        return stages.isEmpty ? nil : stages
    }
}

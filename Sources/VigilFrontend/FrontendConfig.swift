import VigilCore
import VigilKafka

/// A zone frontend's configuration.
public struct FrontendConfig: Sendable {
    public var zone: String
    public var databaseURL: String
    /// Admin token for the zone's nodes.
    public var nodeToken: String
    /// Bearer tokens clients must present, and their roles. There is no open
    /// mode: every request to `/v1` needs a token (`/healthz`, `/metrics` do not).
    public var tokens: FrontendTokens
    public var host = "127.0.0.1"
    public var port = 7000
    /// Replicas per volume: R nodes hold every block (3 tolerates two failures).
    public var replication = 3
    /// Bytes after which a volume is sealed (production 1 GiB; tiny in dev).
    public var volumeTargetBytes: Int64 = 1 << 30
    public var maxBlockSize = 4 << 20
    /// Kafka bootstrap servers for write samples; nil disables sampling.
    public var kafkaBootstrap: String?
    /// Fraction of committed writes sampled (deterministic by key).
    public var sampleRate = 0.01
    /// Samples buffered while Kafka is slow or down; past this they are dropped and counted.
    public var sampleBufferLimit = 100_000
    /// The keys samples are signed with (the first, the current key, signs).
    /// Required when sampling is on: the frontend does not start without it.
    public var sampleKeys: SampleKeyring?
    /// Extra librdkafka properties for the sample producer (SASL, TLS).
    public var kafkaSettings: [String: String] = [:]

    /// Sets the sample keys from their text form (`SampleKeyring.parse`).
    public mutating func setSampleKeys(_ text: String) throws { sampleKeys = try SampleKeyring.parse(text) }

    /// Reads extra librdkafka properties (SASL, TLS) from a `name=value` file.
    public mutating func loadKafkaProperties(file: String) throws { kafkaSettings = try KafkaClientProperties.load(file: file) }

    public var sampleTopic: String { "vigil.samples.\(zone)" }

    public init(zone: String, databaseURL: String, nodeToken: String, tokens: FrontendTokens) {
        self.zone = zone
        self.databaseURL = databaseURL
        self.nodeToken = nodeToken
        self.tokens = tokens
    }
}

/// Why the frontend could not serve a request.
public enum FrontendError: Error, Sendable, CustomStringConvertible {
    case notFound
    /// The block was deleted through the API (410 Gone).
    case deleted
    case unavailable(String)
    case tooLarge(Int, limit: Int)

    public var description: String {
        switch self {
        case .notFound: "no block with this key"
        case .deleted: "the block was deleted"
        case .unavailable(let why): "cannot serve now: \(why)"
        case .tooLarge(let n, let limit): "block of \(n) bytes exceeds the \(limit)-byte limit"
        }
    }
}

import Logging
import Metrics
import VigilCore
import VigilKafka

/// Publishes a sample of about `rate` of committed writes to the zone's topic.
/// Chosen deterministically by key. Never blocks or fails a write: librdkafka
/// buffers up to a bound while Kafka is down, and what does not fit is dropped
/// and counted. A sample Kafka has not taken within `deliveryTimeoutMs` fails and
/// is counted: the first stage (1m) is due by then, and an unreachable Kafka must
/// show as failures within minutes, not as nothing at all.
final class Sampler: Sendable {
    /// Nil when sampling is off; a service of the daemon otherwise (it flushes at shutdown).
    let producer: KafkaProducer?
    private let topic: String
    private let zone: String
    private let threshold: UInt64
    /// Signs every sample (`Schemas/kafka-sample.md`, "Authentication").
    private let signingKey: SampleKey?
    private let published = Counter(label: "vigil_frontend_samples_published_total")
    private let dropped = Counter(label: "vigil_frontend_samples_dropped_total")
    private let failed = Counter(label: "vigil_frontend_samples_failed_total")

    init(config: FrontendConfig, logger: Logger) throws {
        topic = config.sampleTopic
        zone = config.zone
        threshold = config.sampleRate >= 1 ? .max : UInt64(config.sampleRate * Double(UInt64.max))
        if let bootstrap = config.kafkaBootstrap {
            guard let keys = config.sampleKeys else {
                throw SampleKeyError("sampling needs a sample key: give --sample-key-file or set VIGIL_FRONTEND_SAMPLE_KEY (or no --kafka: sampling off)")
            }
            signingKey = keys.current
            producer = try KafkaProducer(settings: config.kafkaSettings.merging([
                "bootstrap.servers": bootstrap,
                "queue.buffering.max.messages": "\(config.sampleBufferLimit)",
                "linger.ms": "20",
                "message.timeout.ms": "\(Self.deliveryTimeoutMs)",
                "log_level": "3",
            ]) { $1 })
        } else {
            signingKey = nil
            producer = nil
            logger.warning("no Kafka bootstrap servers: write sampling is off")
        }
    }

    /// How long librdkafka keeps retrying one sample before it reports it failed.
    static let deliveryTimeoutMs = 60_000

    static func isSampled(_ key: BlockKey, threshold: UInt64) -> Bool { key.w0 < threshold || threshold == .max }

    func offer(key: BlockKey, volume: Int64, length: Int, writtenAtMicros: Int64) {
        guard let producer, let signingKey, Self.isSampled(key, threshold: threshold) else { return }
        let message = SampleMessage(key: key, zone: zone, volume: UInt64(volume), length: UInt32(length), writtenAtMicros: writtenAtMicros)
        do {
            try producer.produce(topic: topic, key: key.bytes, value: message.encodeValue(signedWith: signingKey), timestampMillis: writtenAtMicros / 1000) { [published, failed] error in
                if error == nil { published.increment() } else { failed.increment() }
            }
        } catch {
            dropped.increment()
        }
    }
}

/// An error from Kafka or librdkafka, with librdkafka's error name and whether
/// retrying may help (broker down, timeout, queue full, leader change).
public struct KafkaError: Error, Sendable, CustomStringConvertible {
    /// librdkafka's `rd_kafka_resp_err_t` value (negative: client-side).
    public var code: Int32
    /// librdkafka's name for the code, e.g. `_TRANSPORT`, `UNKNOWN_TOPIC_OR_PART`.
    public var name: String
    public var message: String
    public var isRetriable: Bool

    public init(code: Int32, name: String, message: String, isRetriable: Bool) {
        self.code = code
        self.name = name
        self.message = message
        self.isRetriable = isRetriable
    }

    public var description: String { "kafka \(name): \(message)" }

    /// A configuration value librdkafka rejected.
    static func configuration(_ message: String) -> KafkaError {
        KafkaError(code: -186, name: "_INVALID_ARG", message: message, isRetriable: false)
    }
}

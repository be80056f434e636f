import CRDKafka

/// Builds a librdkafka configuration from key/value pairs; the caller owns the
/// result until it hands it to `rd_kafka_new` (which takes ownership).
func makeRDKafkaConfig(_ settings: [String: String]) throws -> OpaquePointer {
    let conf = rd_kafka_conf_new()!
    var errorText = [CChar](repeating: 0, count: 512)
    for (key, value) in settings.sorted(by: { $0.key < $1.key }) {
        let result = rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
        guard result == RD_KAFKA_CONF_OK else {
            rd_kafka_conf_destroy(conf)
            let text = errorText.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw KafkaError.configuration("\(key): \(text)")
        }
    }
    return conf
}

/// Creates a client handle of `type` from a configuration it takes ownership of.
func makeRDKafkaHandle(_ type: rd_kafka_type_t, _ conf: OpaquePointer) throws -> OpaquePointer {
    var errorText = [CChar](repeating: 0, count: 512)
    guard let handle = rd_kafka_new(type, conf, &errorText, errorText.count) else {
        rd_kafka_conf_destroy(conf)
        let text = errorText.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        throw KafkaError.configuration(text)
    }
    return handle
}

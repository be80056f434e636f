import CRDKafka

/// librdkafka's own mock Kafka cluster, in this process, on loopback: it
/// speaks the real Kafka protocol to the same client code. For tests and the
/// dev broker. Its data lives in memory and is lost when it is destroyed.
public final class KafkaMockCluster: @unchecked Sendable {
    private let handle: KafkaHandle
    private let cluster: OpaquePointer
    /// `host:port,…` of the mock brokers.
    public let bootstrapServers: String

    public init(brokers: Int = 1) throws {
        let conf = try makeRDKafkaConfig(["log_level": "3"])
        handle = KafkaHandle(try makeRDKafkaHandle(RD_KAFKA_PRODUCER, conf))
        guard let cluster = rd_kafka_mock_cluster_new(handle.pointer, Int32(brokers)) else {
            throw KafkaError.configuration("could not start the librdkafka mock cluster")
        }
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit { rd_kafka_mock_cluster_destroy(cluster) }

    /// Creates a topic. Use 16+ partitions: the 2.0.2 mock keeps only about
    /// 5 MiB or 100k batches per partition and silently drops the rest.
    public func createTopic(_ name: String, partitions: Int = 16) throws {
        let err = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), 1)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "create topic \(name)") }
    }

    /// Takes broker `id` (1-based) down or up, to test outages.
    public func setBroker(_ id: Int32, up: Bool) throws {
        let err = up ? rd_kafka_mock_broker_set_up(cluster, id) : rd_kafka_mock_broker_set_down(cluster, id)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "set broker \(id) \(up ? "up" : "down")") }
    }
}

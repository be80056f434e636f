import CRDKafka
import Dispatch

/// A consumer-group member with manual offset commits and partition
/// pause/resume. Every librdkafka call runs on the consumer's own serial
/// queue, off the cooperative pool.
public final class KafkaConsumer: @unchecked Sendable {
    // `handle` is used only on `queue`.
    private let handle: KafkaHandle
    private let queue: DispatchQueue
    public let groupID: String

    /// Joins `groupID` and subscribes to `topics` (none: only to read the group's committed offsets). A new group starts at the
    /// earliest offset. Offsets are committed only by `commit`.
    public init(settings: [String: String], groupID: String, topics: [String]) throws {
        self.groupID = groupID
        var all = [
            "group.id": groupID,
            "enable.auto.commit": "false",
            "enable.auto.offset.store": "false",
            "auto.offset.reset": "earliest",
            // The default leaves a consumer stalled at ~0.3M msg/s.
            "queued.min.messages": "1000000",
            "enable.partition.eof": "false",
        ]
        all.merge(settings) { _, new in new }
        let conf = try makeRDKafkaConfig(all)
        handle = KafkaHandle(try makeRDKafkaHandle(RD_KAFKA_CONSUMER, conf))
        queue = DispatchQueue(label: "vigil.kafka.consumer.\(groupID)")
        rd_kafka_poll_set_consumer(handle.pointer)
        guard !topics.isEmpty else { return }  // a handle for the group's offsets only
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, vigil_rd_kafka_partition_ua) }
        let err = rd_kafka_subscribe(handle.pointer, list)
        if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "subscribe to \(topics)") }
    }

    /// Waits up to `timeout` for messages; returns at most `max` (possibly none).
    /// Consumer errors that pass (a broker going away) are not thrown; fatal ones are.
    public func poll(max: Int = 10_000, timeout: Duration = .milliseconds(200)) async throws -> [KafkaMessage] {
        let handle = handle
        let millis = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        return try await onQueue {
            let consumerQueue = rd_kafka_queue_get_consumer(handle.pointer)!
            defer { rd_kafka_queue_destroy(consumerQueue) }
            var batch = [UnsafeMutablePointer<rd_kafka_message_t>?](repeating: nil, count: max)
            let n = rd_kafka_consume_batch_queue(consumerQueue, millis, &batch, max)
            guard n >= 0 else { throw KafkaError(rd_kafka_last_error(), "poll") }
            var messages: [KafkaMessage] = []
            messages.reserveCapacity(n)
            var fatal: KafkaError?
            for message in batch.prefix(n) {
                guard let message else { continue }
                defer { rd_kafka_message_destroy(message) }
                let m = message.pointee
                if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
                    let error = KafkaError(m.err, "consume")
                    if !error.isRetriable, m.err != RD_KAFKA_RESP_ERR__PARTITION_EOF { fatal = error }
                    continue
                }
                var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
                let ts = rd_kafka_message_timestamp(message, &type)
                messages.append(KafkaMessage(
                    topic: String(cString: rd_kafka_topic_name(m.rkt)), partition: m.partition, offset: m.offset,
                    key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) } ?? [],
                    value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) } ?? [],
                    timestampMillis: type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : ts))
            }
            if let fatal, messages.isEmpty { throw fatal }
            return messages
        }
    }

    /// Commits, synchronously, that everything before `offset` in each
    /// partition is done: the group resumes at these offsets.
    public func commit(_ offsets: [TopicPartition: Int64]) async throws {
        guard !offsets.isEmpty else { return }
        let handle = handle
        try await onQueue {
            let list = makePartitionList(offsets.keys) { offsets[$0]! }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_commit(handle.pointer, list, 0)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET {
                throw KafkaError(err, "commit")
            }
        }
    }

    /// The offsets this group has committed for `partitions` (nil where none).
    public func committed(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) async throws -> [TopicPartition: Int64] {
        let handle = handle
        return try await onQueue {
            let list = makePartitionList(partitions) { _ in vigil_rd_kafka_offset_invalid }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = rd_kafka_committed(handle.pointer, list, Int32(timeout.components.seconds * 1000))
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "committed") }
            var out: [TopicPartition: Int64] = [:]
            for element in partitionElements(list) where element.offset >= 0 {
                out[TopicPartition(topic: String(cString: element.topic), partition: element.partition)] = element.offset
            }
            return out
        }
    }

    /// Each partition's high watermark: the offset the next message produced to it will get,
    /// so a group that has committed it there has consumed every message.
    public func highWatermarks(_ partitions: [TopicPartition], timeout: Duration = .seconds(10)) async throws -> [TopicPartition: Int64] {
        let handle = handle
        return try await onQueue {
            var out: [TopicPartition: Int64] = [:]
            for partition in partitions {
                var low: Int64 = 0
                var high: Int64 = 0
                let err = rd_kafka_query_watermark_offsets(
                    handle.pointer, partition.topic, partition.partition, &low, &high, Int32(timeout.components.seconds * 1000))
                if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "query_watermark_offsets") }
                out[partition] = high
            }
            return out
        }
    }

    /// The partitions currently assigned to this member.
    public func assignment() async throws -> [TopicPartition] {
        let handle = handle
        return try await onQueue {
            var list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?
            let err = rd_kafka_assignment(handle.pointer, &list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, "assignment") }
            guard let list else { return [] }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            return partitionElements(list).map { TopicPartition(topic: String(cString: $0.topic), partition: $0.partition) }
        }
    }

    /// Stops fetching from `partitions` (messages already fetched still arrive).
    public func pause(_ partitions: [TopicPartition]) async throws {
        try await setPaused(partitions, paused: true)
    }

    public func resume(_ partitions: [TopicPartition]) async throws {
        try await setPaused(partitions, paused: false)
    }

    /// Leaves the group cleanly; the consumer cannot be used afterwards.
    public func close() async {
        let handle = handle
        _ = try? await onQueue { rd_kafka_consumer_close(handle.pointer) }
    }

    private func setPaused(_ partitions: [TopicPartition], paused: Bool) async throws {
        guard !partitions.isEmpty else { return }
        let handle = handle
        try await onQueue {
            let list = makePartitionList(partitions) { _ in vigil_rd_kafka_offset_invalid }
            defer { rd_kafka_topic_partition_list_destroy(list) }
            let err = paused ? rd_kafka_pause_partitions(handle.pointer, list) : rd_kafka_resume_partitions(handle.pointer, list)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { throw KafkaError(err, paused ? "pause" : "resume") }
        }
    }

    private func onQueue<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }
}

func makePartitionList<S: Sequence>(_ partitions: S, offset: (TopicPartition) -> Int64) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t>
where S.Element == TopicPartition {
    let array = Array(partitions)
    let list = rd_kafka_topic_partition_list_new(Int32(array.count))!
    for tp in array {
        let element = rd_kafka_topic_partition_list_add(list, tp.topic, tp.partition)!
        element.pointee.offset = offset(tp)
    }
    return list
}

func partitionElements(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [rd_kafka_topic_partition_t] {
    Array(UnsafeBufferPointer(start: list.pointee.elems, count: Int(list.pointee.cnt)))
}

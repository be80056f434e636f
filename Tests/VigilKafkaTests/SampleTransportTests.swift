import Foundation
import Testing
import VigilCore
import VigilKafka
import VigilTestSupport

@Suite(.timeLimit(.minutes(3))) struct SampleTransportTests {
    static func consumerSettings(_ cluster: KafkaMockCluster) -> [String: String] {
        ["bootstrap.servers": cluster.bootstrapServers, "session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
    }

    @Test("100k samples go through the mock cluster and survive a consumer restart without loss")
    func samplesSurviveConsumerRestart() async throws {
        let cluster = try KafkaMockCluster()
        let topic = "vigil.samples.\(UUID().uuidString)"
        try cluster.createTopic(topic, partitions: 16)
        let producer = try KafkaProducer(settings: ["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "5"])
        let total = 100_000
        let keys = try SampleKeyring.parse(SampleKeyring.generateText())
        var sent = Set<BlockKey>()
        for i in 0..<total {
            let key = BlockKey.of(withUnsafeBytes(of: i) { Array($0) })
            sent.insert(key)
            let message = SampleMessage(key: key, zone: "zone-a", volume: UInt64(i % 50), length: UInt32(i), writtenAtMicros: Int64(i))
            try producer.produce(topic: topic, key: key.bytes, value: message.encodeValue(signedWith: keys.current))
        }
        try await producer.flush()
        #expect(producer.delivered == total)
        #expect(producer.failed == 0)

        let group = "watcher-\(UUID().uuidString)"
        var received: [BlockKey] = []
        // First member: consume about half, commit exactly what was processed, leave.
        let first = try KafkaConsumer(settings: Self.consumerSettings(cluster), groupID: group, topics: [topic])
        try await consume(first, keys, into: &received, until: total / 2)
        await first.close()

        // A restarted member resumes at the committed offsets.
        let second = try KafkaConsumer(settings: Self.consumerSettings(cluster), groupID: group, topics: [topic])
        try await consume(second, keys, into: &received, until: total)
        let partitions = (0..<16).map { TopicPartition(topic: topic, partition: Int32($0)) }
        let committed = try await second.committed(partitions)
        await second.close()

        #expect(received.count == total, "no message lost or delivered twice")
        #expect(Set(received) == sent)
        #expect(committed.values.reduce(0, +) == Int64(total), "committed offsets cover every message")
    }

    /// Polls, authenticates, decodes and commits until `received` holds `target` messages (bounded).
    func consume(_ consumer: KafkaConsumer, _ keys: SampleKeyring, into received: inout [BlockKey], until target: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while received.count < target, ContinuousClock.now < deadline {
            let batch = try await consumer.poll(max: min(5_000, target - received.count), timeout: .milliseconds(500))
            var offsets: [TopicPartition: Int64] = [:]
            for message in batch {
                let sample = try SampleVerifier(keyring: keys, zone: "zone-a").open(key: message.key, value: message.value).message
                received.append(sample.key)
                offsets[TopicPartition(topic: message.topic, partition: message.partition)] = message.offset + 1
            }
            try await consumer.commit(offsets)
        }
    }

    @Test func pausedPartitionsDeliverNothingUntilResumed() async throws {
        let cluster = try KafkaMockCluster()
        let topic = "vigil.pause.\(UUID().uuidString)"
        try cluster.createTopic(topic, partitions: 2)
        let producer = try KafkaProducer(settings: ["bootstrap.servers": cluster.bootstrapServers])
        for i in 0..<10 { try await producer.send(topic: topic, key: [UInt8(i)], value: [UInt8(i)]) }

        let consumer = try KafkaConsumer(settings: Self.consumerSettings(cluster), groupID: "g-\(UUID().uuidString)", topics: [topic])
        var assigned: [TopicPartition] = []
        var before = 0
        #expect(try await eventually(timeout: .seconds(30)) {
            before += try await consumer.poll(max: 1, timeout: .milliseconds(100)).count
            assigned = try await consumer.assignment()
            return assigned.count == 2
        })
        try await consumer.pause(assigned)
        // Nothing arrives while paused (librdkafka drops what it had fetched for them).
        var whilePaused = 0
        for _ in 0..<5 { whilePaused += try await consumer.poll(max: 100, timeout: .milliseconds(100)).count }
        #expect(whilePaused == 0)
        try await consumer.resume(assigned)
        var afterResume = 0
        #expect(try await eventually(timeout: .seconds(30)) {
            afterResume += try await consumer.poll(max: 100, timeout: .milliseconds(200)).count
            return before + afterResume >= 10
        })
        await consumer.close()
    }

    @Test func badConfigurationIsAClearError() {
        let error = #expect(throws: KafkaError.self) { _ = try KafkaProducer(settings: ["no.such.property": "1"]) }
        #expect(error?.description.contains("no.such.property") == true)
        #expect(error?.isRetriable == false)
    }
}

import Foundation
import VigilCore
import VigilKafka
import VigilStorageWatcher

/// Storage watcher intake: consume, authenticate (HMAC), decode and queue samples from the mock
/// cluster, against consuming the same messages raw.
enum WatcherBench {
    static func run(samples: Int) async throws {
        let cluster = try KafkaMockCluster()
        let topic = "vigil.samples.bench"
        try cluster.createTopic(topic, partitions: 32)
        let producer = try KafkaProducer(settings: ["bootstrap.servers": cluster.bootstrapServers, "linger.ms": "50", "batch.num.messages": "10000"])
        let keys = try SampleKeyring.parse(SampleKeyring.generateText())
        let verifier = SampleVerifier(keyring: keys, zone: "bench")
        for i in 0..<samples {
            let key = BlockKey(w0: UInt64(i), w1: 1, w2: 2, w3: 3)
            let message = SampleMessage(key: key, zone: "bench", volume: 1, length: 100, writtenAtMicros: Int64(i))
            while true {
                do {
                    try producer.produce(topic: topic, key: key.bytes, value: message.encodeValue(signedWith: keys.current))
                    break
                } catch let error as KafkaError where error.isRetriable {
                    try await producer.flush(timeout: .seconds(1))
                }
            }
        }
        try await producer.flush(timeout: .seconds(120))

        let raw = try await consume(cluster, topic: topic, group: "raw", samples: samples) { _ in }
        var queue = StageQueue(delay: .zero)
        let intake = try await consume(cluster, topic: topic, group: "watcher", samples: samples) { batch in
            let held = batch.map { m in
                HeldSample(partition: TopicPartition(topic: m.topic, partition: m.partition), offset: m.offset,
                           sample: (try? verifier.open(key: m.key, value: m.value))?.message)
            }
            // The stage's own path: receive, take what is due, finish it, commit.
            let now = Int64(samples) + 1
            _ = queue.receive(held, now: now)
            let due = queue.takeDue(now: now)
            precondition(due.count == held.count)
            queue.finish(due)
            _ = queue.commitOffsets()
            _ = queue.partitionsToResume()
        }
        figure("kafka_raw_consume_msgs_per_s", Double(samples) / raw, "msg/s")
        figure("watcher_intake_samples_per_s", Double(samples) / intake, "samples/s")
        figure("watcher_intake_vs_raw_ratio", raw / intake)
    }

    /// Seconds to consume `samples` messages once the group is joined.
    static func consume(_ cluster: KafkaMockCluster, topic: String, group: String, samples: Int, _ handle: ([KafkaMessage]) -> Void) async throws -> Double {
        let consumer = try KafkaConsumer(settings: ["bootstrap.servers": cluster.bootstrapServers], groupID: group, topics: [topic])
        var count = 0
        var start: ContinuousClock.Instant?
        while count < samples {
            let batch = try await consumer.poll(max: 10_000, timeout: .milliseconds(500))
            if start == nil, !batch.isEmpty { start = .now }
            handle(batch)
            count += batch.count
        }
        let elapsed = seconds(ContinuousClock.now - start!)
        await consumer.close()
        return elapsed
    }
}

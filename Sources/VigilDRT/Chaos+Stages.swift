import Foundation
import VigilDev
import VigilKafka
import VigilStorageWatcher

extension Chaos {
    /// Waits until every watcher stage's group has committed the sample topic's
    /// high watermark on every partition: every sample checked at every stage.
    /// Returns the samples published and the stages still behind at `deadline`.
    func waitForEveryStage(zone: String, until deadline: ContinuousClock.Instant) async throws -> (Int64, [String]) {
        var config = StorageWatcherConfig(zone: zone, kafkaBootstrap: cluster.kafka, frontendURL: "", databaseURL: "")
        config.applyDevProfile()
        let partitions = (0..<Int32(DevCluster.samplePartitions)).map { TopicPartition(topic: config.topic, partition: $0) }
        var consumers: [(String, KafkaConsumer)] = []
        for stage in config.stages {
            consumers.append((stage.name, try KafkaConsumer(settings: ["bootstrap.servers": cluster.kafka], groupID: config.groupID(stage), topics: [])))
        }
        defer { for (_, c) in consumers { Task { await c.close() } } }
        while true {
            let high = try await consumers[0].1.highWatermarks(partitions)
            let published = high.values.reduce(0, +)
            var behind: [String] = []
            for (stage, consumer) in consumers {
                let committed = try await consumer.committed(partitions)
                if partitions.contains(where: { committed[$0, default: 0] < high[$0, default: 0] }) {
                    behind.append("\(stage): \(committed.values.reduce(0, +)) of \(published)")
                }
            }
            if behind.isEmpty || ContinuousClock.now >= deadline {
                log("samples: \(published) published; \(behind.isEmpty ? "every one checked at every stage" : "behind: \(behind)")")
                return (published, behind)
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}

import Foundation
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilKafka
import VigilPostgres
import VigilStorageWatcher

/// The chaos run: a write/read load with every verifier running while random
/// daemons are killed with SIGKILL and restarted, and PostgreSQL and the Kafka
/// broker are restarted. Afterwards nothing committed may be lost and no
/// verifier may report a fault that was never injected.
public struct ChaosReport: Sendable, Codable {
    public var seconds: Double
    public var events: [String]
    public var blocksWritten: Int
    public var blocksLost: Int
    public var falsePositives: [String]
    public var verifiersWithoutPass: [String]
    /// Samples the frontend published (the sample topic's high watermarks, summed).
    public var samplesPublished: Int64
    /// Watcher stages whose group had not committed every published sample, as "stage: committed of published".
    public var stagesBehind: [String]
    public var passed: Bool { blocksLost == 0 && falsePositives.isEmpty && verifiersWithoutPass.isEmpty && stagesBehind.isEmpty }
}

public final class Chaos {
    var cluster: ClusterFile
    let clusterPath: String
    var rng: SeededGenerator
    let log: (String) -> Void
    /// The load writes and reads back: a token with both roles (admin).
    let frontendToken: String?

    /// `frontendToken`: default the cluster file's admin token.
    public init(clusterPath: String, frontendToken: String? = nil, seed: UInt64, log: @escaping (String) -> Void) throws {
        self.clusterPath = clusterPath
        cluster = try ClusterFile.load(clusterPath)
        self.frontendToken = frontendToken ?? cluster.frontendTokens?.admin
        rng = SeededGenerator(seed: seed)
        self.log = log
    }

    public func run(seconds: Int, settle: Duration = .seconds(120)) async throws -> ChaosReport {
        let zone = cluster.zones[0]
        let started = try await PostgresConnection.connect(url: zone.database).query("SELECT extract(epoch FROM now())::float8").float64(0, 0)
        let written = LockedValue<[BlockKey]>([])
        let stop = LockedValue(false)
        let frontend = FrontendClient(address: zone.frontend, token: frontendToken)
        var events: [String] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {  // the load: writes, and reads of what was written
                var seed = UInt64.random(in: 0...UInt64.max)
                while !stop.value {
                    seed &+= 1
                    let data = (0..<Int(seed % 4000 + 64)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(truncatingIfNeeded: seed >> ($0 % 8 * 8))) }
                    if let result = try? await frontend.put(data), let key = BlockKey(hex: result.key) {
                        written.withLock { $0.append(key) }
                    }
                    if let key = written.withLock({ $0.randomElement() }) { _ = try? await frontend.get(key) }
                }
            }
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(Int.random(in: 1500...4000, using: &rng)))
                events.append(try await disturb(events.count))
                log(events.last!)
            }
            stop.withLock { $0 = true }
            try await group.waitForAll()
        }
        // Settle: bring everything back, then demand a full pass of every verifier after it.
        cluster = try await DevCluster.up(DevClusterOptions(directory: cluster.directory), log: log)
        let db = try await PostgresConnection.connect(url: zone.database)  // the server restarted meanwhile
        let settled = try await db.query("SELECT extract(epoch FROM now())::float8").float64(0, 0)
        let keys = written.value
        log("settling: \(keys.count) blocks written; waiting for a full pass of every verifier")
        let scopes = try await db.query("SELECT DISTINCT verifier, scope FROM passes WHERE verifier <> 'storage-watcher'")
        var missingPasses: [String] = (0..<scopes.count).map { "\(scopes.string($0, 0)) \(scopes.string($0, 1))" }
        let deadline = ContinuousClock.now + settle
        while !missingPasses.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(1))
            let done = try await db.query("""
                SELECT DISTINCT verifier || ' ' || scope FROM passes WHERE state = 'complete' AND extract(epoch FROM started_at) > $1
                """, [.float64(settled)])
            let complete = Set((0..<done.count).map { done.string($0, 0) })
            missingPasses.removeAll { complete.contains($0) }
        }
        let (published, behind) = try await waitForEveryStage(zone: zone.name, until: deadline)
        var lost = 0
        for key in keys {
            guard case .found(let data)? = try? await frontend.get(key), BlockKey.of(data) == key else {
                lost += 1
                log("LOST \(key)")
                continue
            }
        }
        let findings = try await db.query("""
            SELECT verifier || ' ' || kind || ' ' || subject FROM findings
            WHERE severity IN ('error', 'critical') AND extract(epoch FROM last_seen) >= $1
            """, [.float64(started)])
        let falsePositives = (0..<findings.count).map { findings.string($0, 0) }
        return ChaosReport(
            seconds: Double(seconds), events: events, blocksWritten: keys.count, blocksLost: lost,
            falsePositives: falsePositives, verifiersWithoutPass: missingPasses, samplesPublished: published, stagesBehind: behind)
    }

    /// Waits until every watcher stage's group has committed the sample topic's
    /// high watermark on every partition: every sample checked at every stage.
    /// Returns the samples published and the stages still behind at `deadline`.
    private func waitForEveryStage(zone: String, until deadline: ContinuousClock.Instant) async throws -> (Int64, [String]) {
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

    /// One random disturbance.
    /// The first two are always a PostgreSQL and a broker restart; then at random.
    private func disturb(_ index: Int) async throws -> String {
        let roll = index < 2 ? index : Int.random(in: 0..<10, using: &rng)
        if roll == 0 {
            let postgres = PrivatePostgres(directory: URL(fileURLWithPath: cluster.postgres.directory), port: cluster.postgres.port)
            try postgres.stop()
            _ = try PrivatePostgres.start(in: postgres.directory, port: postgres.port)
            return "restarted PostgreSQL"
        }
        if roll == 1 {
            DevCluster.restartBroker(cluster)
            return "restarted the Kafka broker"
        }
        let candidates = cluster.processes.indices.filter { cluster.processes[$0].name != "kafka-broker" }
        let i = candidates[Int.random(in: 0..<candidates.count, using: &rng)]
        DevCluster.kill9(cluster.processes[i])
        try await Task.sleep(for: .milliseconds(Int.random(in: 100...1500, using: &rng)))
        try DevCluster.restart(&cluster.processes[i])
        try cluster.save(clusterPath)
        return "kill -9 and restart \(cluster.processes[i].name)"
    }
}

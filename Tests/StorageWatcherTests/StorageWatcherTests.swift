import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilKafka
import VigilPostgres
import VigilTestSupport

@Suite("Storage watcher", .serialized)
struct StorageWatcherTests {
    static let stages = ["1s", "2s", "3s", "4s", "5s"]

    static func watcherArguments(_ cluster: ClusterFile) -> [String] {
        ["--zone", "zone-a", "--kafka", cluster.kafka, "--frontend", cluster.zones[0].frontend, "--frontend-token-file", cluster.frontendTokens!.readFile,
         "--sample-key-file", cluster.sampleKey!.file,
         "--database", cluster.zones[0].database, "--stages", stages.joined(separator: ",")]
    }

    /// Offsets committed by each stage's group, summed over the topic's partitions.
    static func committed(_ cluster: ClusterFile, stage: String) async throws -> Int64 {
        let consumer = try KafkaConsumer(
            settings: ["bootstrap.servers": cluster.kafka], groupID: "vigil-watcher-zone-a-\(stage)", topics: [])
        let partitions = (0..<16).map { TopicPartition(topic: "vigil.samples.zone-a", partition: Int32($0)) }
        let offsets = try await consumer.committed(partitions)
        await consumer.close()
        return offsets.values.reduce(0, +)
    }

    static func checked(_ db: PostgresConnection, stage: String) async throws -> Int {
        try await db.query(
            "SELECT coalesce(sum(items_checked), 0)::int8 FROM passes WHERE verifier = 'storage-watcher' AND scope = $1",
            [.text("zone-a/\(stage)")]).int(0, 0)
    }

    @Test("1,000 sampled writes pass every stage, through a kill -9 of the watcher and a broker restart", .timeLimit(.minutes(8)))
    func everySampleIsCheckedAtEveryStage() async throws {
        try await withTestCluster(sampleRate: 1.0) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let watcher = try spawnVerifier(cluster, "vigil-storage-watcher", Self.watcherArguments(cluster), log: "watcher-1")
            var deleted: [BlockKey] = []
            for i in 0..<1000 {
                let key = BlockKey(hex: try await frontend.put(randomBlock(64...1024)).key)!
                if i % 100 == 0 {  // deleted through the API: expected absent, not a failure
                    try await frontend.delete(key)
                    deleted.append(key)
                }
                if i == 400 {
                    killProcess(watcher)
                    DevCluster.restartBroker(cluster)
                }
            }
            let second = try spawnVerifier(cluster, "vigil-storage-watcher", Self.watcherArguments(cluster), log: "watcher-2")
            for stage in Self.stages {
                #expect(try await eventually(timeout: .seconds(120)) { try await Self.checked(db, stage: stage) >= 1000 }, "stage \(stage)")
            }
            killProcess(second)
            for stage in Self.stages {
                #expect(try await Self.committed(cluster, stage: stage) == 1000, "stage \(stage) committed every sample")
            }
            let findings = try await db.query("SELECT kind, subject FROM findings WHERE verifier = 'storage-watcher'")
            #expect(findings.count == 0, "no failure: \((0..<findings.count).map { findings.string($0, 1) })")
            _ = deleted
        }
    }

    @Test("a sampled block corrupted on all its replicas is a finding at the next stage, once", .timeLimit(.minutes(3)))
    func corruptionOnAllReplicasIsFound() async throws {
        try await withTestCluster(sampleRate: 1.0) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let arguments = Self.watcherArguments(cluster).map { $0 == Self.stages.joined(separator: ",") ? "2s,8s" : $0 }
            let watcher = try spawnVerifier(cluster, "vigil-storage-watcher", arguments, log: "watcher")
            defer { killProcess(watcher) }
            let data = randomBlock(2048...2048)
            let key = BlockKey(hex: try await frontend.put(data).key)!
            #expect(try await eventually(timeout: .seconds(30)) { try await Self.checked(db, stage: "2s") >= 1 })

            // Flip a bit of the block's data in every replica's extent.
            let row = try #require(try await cluster.index.lookup(key))
            for replica in try await cluster.index.replicas(of: row.volume) {
                let node = cluster.zones[0].nodes.first { $0.id == replica.node.id }!
                let path = "\(node.dataDirectory)/extents/v\(row.volume).g1.extent"
                var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
                let at = try #require(bytes.indices.first { i in i + 2048 <= bytes.count && Array(bytes[i..<(i + 64)]) == Array(data.prefix(64)) })
                bytes[at + 1000] ^= 0x01
                try Data(bytes).write(to: URL(fileURLWithPath: path))
            }
            #expect(try await eventually(timeout: .seconds(30)) {
                try await db.query("SELECT 1 FROM findings WHERE verifier = 'storage-watcher' AND subject = $1", [.text("stage/8s/block/\(key.hex)")]).count == 1
            })
            let all = try await db.query("SELECT count(*) FROM findings WHERE verifier = 'storage-watcher'").int(0, 0)
            #expect(all == 1, "reported once, at the stage after the corruption")
        }
    }
}

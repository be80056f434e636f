import Foundation
import Testing
import VigilCore
import VigilDev
import VigilKafka
import VigilPostgres
import VigilTestSupport

/// Every zone's frontend signs samples with the same key, and the zone is part
/// of what the MAC covers: a genuine sample copied from zone-b's topic into
/// zone-a's (no key needed, the MAC is replayed, not forged) names zone-b. The
/// zone-a watcher must not read it back in zone-a and cry data loss.
@Suite("Security: a sample replayed from another zone's topic", .serialized)
struct CrossZoneSampleReplayTests {
    static let topic = "vigil.samples.zone-a"

    @Test("a genuine zone-b sample in zone-a's topic is malformed, never a not_found", .timeLimit(.minutes(3)))
    func replayedSampleIsNoDataFinding() async throws {
        try await withTestCluster { (cluster: ClusterFile) async throws in
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let port = try freeLoopbackPort()
            let watcher = try Processes.spawn(
                ["\(Processes.executableDirectory)/vigil-storage-watcher", "--zone", "zone-a", "--kafka", cluster.kafka,
                 "--frontend", cluster.zones[0].frontend, "--frontend-token-file", cluster.frontendTokens!.readFile,
                 "--sample-key-file", cluster.sampleKey!.file, "--database", cluster.zones[0].database, "--stages", "2s",
                 "--profile", "dev", "--port", "\(port)"],
                log: "\(cluster.directory)/logs/watcher.log")
            defer { killProcess(watcher) }
            // What zone-b's frontend publishes for a block it stored (zone-b only).
            let keys = try cluster.sampleKey!.keyring()
            let key = BlockKey.of(randomBlock(100...100))
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            let zoneB = SampleMessage(key: key, zone: "zone-b", volume: 1, length: 100, writtenAtMicros: now)
            let producer = try KafkaProducer(settings: ["bootstrap.servers": cluster.kafka])
            try producer.produce(topic: Self.topic, key: key.bytes, value: zoneB.encodeValue(signedWith: keys.current), partition: 5)
            try await producer.flush()
            #expect(producer.failed == 0)

            // Behind it on the same partition, a genuine zone-a sample: once it is
            // checked, the stage has judged everything before it.
            let data = randomBlock(100...100)
            let put = try await cluster.frontendClient().put(data)
            let genuine = SampleMessage(key: BlockKey.of(data), zone: "zone-a", volume: UInt64(try #require(put.volume)), length: 100, writtenAtMicros: now)
            try producer.produce(topic: Self.topic, key: genuine.key.bytes, value: genuine.encodeValue(signedWith: keys.current), partition: 5)
            try await producer.flush()
            #expect(try await eventually(timeout: .seconds(60)) {
                try await db.query(
                    "SELECT coalesce(sum(items_checked), 0)::int8 FROM passes WHERE verifier = 'storage-watcher' AND scope = 'zone-a/2s'").int(0, 0) >= 1
            }, "the genuine sample behind the replayed one was checked")
            let rows = try await db.query("SELECT kind, details::text FROM findings WHERE verifier = 'storage-watcher' ORDER BY id")
            let kinds = (0..<rows.count).map { rows.string($0, 0) }
            #expect(kinds == ["malformed_sample"], "a replayed zone-b sample is malformed, never a zone-a data finding: \(kinds)")
            #expect(rows.count == 1 && rows.string(0, 1).contains("zone-b"), "the finding says which zone the sample named")
        }
    }
}

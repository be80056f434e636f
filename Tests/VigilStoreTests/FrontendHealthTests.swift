import Foundation
import Testing
import VigilCore
import VigilDev
import VigilTestSupport

/// The frontend's `/healthz` is what its services say: the allocator, the
/// sample producer and the database check. Kafka down degrades sampling, not writes.
@Suite("Frontend health", .serialized)
struct FrontendHealthTests {
    @Test("with Kafka down, writes and reads still succeed and /healthz reports the sample producer degraded with samples buffered", .timeLimit(.minutes(4)))
    func kafkaDownDegradesTheProducer() async throws {
        try await withTestCluster(nodes: 3, sampleRate: 1) { (cluster: ClusterFile) async throws in
            let base = cluster.zones[0].frontend
            let frontend = cluster.frontendClient()
            _ = try await frontend.put(randomBlock())
            var health = await Healthz.of(base)
            #expect(await eventually(timeout: .seconds(30)) {
                health = await Healthz.of(base)
                return health == .ok
            }, "a healthy frontend says ok: \(health)")

            DevCluster.kill9(cluster.process(named: "kafka-broker"))
            var keys: [BlockKey] = []
            for _ in 0..<20 { keys.append(try #require(BlockKey(hex: try await frontend.put(randomBlock()).key))) }
            #expect(await eventually(timeout: .seconds(60)) {
                health = await Healthz.of(base)
                return health.status == 503 && health.text.contains("sample_producer: degraded: Kafka unreachable")
            }, "\(health)")
            #expect(health.text.contains("messages buffered"), "\(health)")
            #expect(!health.text.contains("database") && !health.text.contains("volume_allocator"), "only the producer is degraded: \(health)")
            for key in keys {
                guard case .found(let data) = try await frontend.get(key) else {
                    Issue.record("a block written while Kafka was down cannot be read")
                    continue
                }
                #expect(BlockKey.of(data) == key)
            }
        }
    }
}

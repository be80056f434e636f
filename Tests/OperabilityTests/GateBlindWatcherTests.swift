import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

/// The gate never signs off on a storage watcher that saw nothing: with the
/// frontend unable to reach Kafka, writes go on, the watcher's stages keep
/// completing passes that check no sample, and the gate blocks naming the
/// stages (review defect 2). The frontend counts the undelivered samples as failed.
@Suite("Gate: blind storage watcher", .serialized, .timeLimit(.minutes(7)))
struct GateBlindWatcherTests {
    static func gate(_ cluster: ClusterFile) throws -> (status: Int32, output: String) {
        try Command.runStatus(["\(Processes.executableDirectory)/vigil", "gate", "--cluster", DevCluster.clusterPath(cluster.directory), "--window", "10m"])
    }

    static func metric(_ health: String, _ name: String) async -> Double? {
        guard let url = URL(string: health.replacingOccurrences(of: "/healthz", with: "/metrics")),
              let (data, _) = try? await URLSession.shared.data(from: url) else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(name) }
            .flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
    }

    /// Writes random blocks until `count` of them have keys every frontend samples
    /// (under the 1% threshold, whatever its rate); false if 3000 writes were not enough.
    static func writeSampled(_ client: FrontendClient, count: Int) async throws -> Bool {
        let threshold = UInt64(0.01 * Double(UInt64.max))
        var sampled = 0
        for _ in 0..<3000 where sampled < count {
            guard let key = BlockKey(hex: try await client.put(randomBlock(64...512)).key) else { return false }
            if key.w0 < threshold { sampled += 1 }
        }
        return sampled == count
    }

    @Test("samples that never reach Kafka: every stage's check fails although its passes complete; failures counted")
    func blindWatcherBlocks() async throws {
        try await withTestCluster(verifiers: true) { (cluster: ClusterFile) async throws in
            let stages = ZoneTopology.devStages.map { "storage-watcher zone-a/\($0)" }
            var last = (status: Int32(-1), output: "")
            // Sampled writes the watcher checks at the default 1% rate: the stages' checks pass (no false alarm at the bound).
            #expect(try await Self.writeSampled(cluster.frontendClient(), count: 3))
            let wrote = ContinuousClock.now
            #expect(try await eventually(timeout: .seconds(240), interval: .seconds(2)) {
                last = try Self.gate(cluster)
                // Past the last stage's delay and the gate's margin, so those samples are counted against the stages.
                return ContinuousClock.now - wrote > .seconds(30) && stages.allSatisfy { last.output.contains("[ok] \($0):") }
            }, "the stages never passed on a healthy cluster: \(last.output)")

            // The frontend comes back pointed at a Kafka that is not there.
            var frontend = try #require(cluster.processes.first { $0.name == "zone-a/frontend" })
            DevCluster.kill9(frontend)
            let kafka = try #require(frontend.arguments.firstIndex(of: "--kafka"))
            frontend.arguments[kafka + 1] = "127.0.0.1:1"
            try DevCluster.restart(&frontend)
            defer { DevCluster.kill9(frontend) }
            #expect(await eventually(timeout: .seconds(30)) { await DevCluster.isHealthy(frontend.health!) })

            #expect(try await Self.writeSampled(cluster.frontendClient(), count: 3))

            #expect(try await eventually(timeout: .seconds(120), interval: .seconds(2)) {
                last = try Self.gate(cluster)
                return last.status == 1 && stages.allSatisfy { last.output.contains("[FAIL] \($0):") }
            }, "the gate did not block on the blind stages: \(last.output)")
            #expect(last.output.contains("came due at this stage"), "\(last.output)")
            #expect(await eventually(timeout: .seconds(120), interval: .seconds(2)) {
                (await Self.metric(frontend.health!, "vigil_frontend_samples_failed_total") ?? 0) >= 3
            }, "the frontend counts samples Kafka never took as failed")
        }
    }
}

import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres
import VigilTestSupport

@Suite("Store end to end", .serialized, .timeLimit(.minutes(8)))
struct StoreEndToEndTests {
    @Test("10,000 blocks: all read back verified, writes continue through a kill -9, every block on R live replicas")
    func writesSurviveANodeKill() async throws {
        try await withTestCluster { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            let victim = cluster.process(named: "zone-a/node-2")
            let total = 10_000
            let written = LockedValue<[BlockKey: [UInt8]]>([:])

            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<32 {
                    group.addTask {
                        for i in stride(from: worker, to: total, by: 32) {
                            let data = randomBlock()
                            let result = try await frontend.put(data)
                            #expect(result.deduplicated == false || written.withLock { $0[BlockKey(hex: result.key)!] != nil })
                            written.withLock { $0[BlockKey(hex: result.key)!] = data }
                            _ = i
                        }
                    }
                }
                // Kill a node once a third is written; bring it back at two thirds.
                group.addTask {
                    #expect(await eventually(timeout: .seconds(400)) { written.value.count >= total / 3 })
                    DevCluster.kill9(victim)
                    #expect(await eventually(timeout: .seconds(400)) { written.value.count >= 2 * total / 3 })
                    var restarted = victim
                    try DevCluster.restart(&restarted)
                    #expect(await eventually(timeout: .seconds(30)) { await DevCluster.isHealthy(victim.health!) })
                }
                try await group.waitForAll()
            }
            let blocks = written.value
            #expect(blocks.count == total)

            // Every block reads back through the frontend, SHA-256 verified.
            for (key, data) in blocks {
                guard case .found(let read) = try await frontend.get(key) else {
                    Issue.record("block \(key) not found")
                    continue
                }
                #expect(read == data && BlockKey.of(read) == key)
            }

            // Every committed block is present on all R live replicas of its volume.
            let index = cluster.index
            var byVolume: [Int64: [BlockKey]] = [:]
            for key in blocks.keys { byVolume[try await index.lookup(key)!.volume, default: []].append(key) }
            for (volume, keys) in byVolume {
                let replicas = try await index.replicas(of: volume)
                #expect(replicas.filter { $0.state == "live" }.count == 3, "volume \(volume) has 3 live replicas")
                for replica in replicas {
                    let node = cluster.zones[0].nodes.first { $0.id == replica.node.id }!
                    let presence = try await cluster.nodeClient(node).check(keys.map { (key: $0, volume: UInt64(volume)) })
                    #expect(presence.allSatisfy { $0 == .present }, "volume \(volume) on \(node.name)")
                }
            }

            // Every extent on every node parses clean.
            for node in cluster.zones[0].nodes {
                let directory = node.dataDirectory + "/extents"
                for file in try FileManager.default.contentsOfDirectory(atPath: directory) {
                    let report = try ExtentReader(path: "\(directory)/\(file)").scan()
                    #expect(report.isClean, "\(node.name)/\(file): \(report.problems)")
                }
            }
        }
    }
}

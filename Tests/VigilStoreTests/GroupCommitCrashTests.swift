import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilTestSupport

/// Real daemons with fsync on (group commit): a node killed with SIGKILL in
/// the middle of 16 concurrent writers loses none of the blocks the frontend
/// acknowledged, and serves no torn record after its restart.
@Suite("Group commit survives a crash", .serialized, .timeLimit(.minutes(6)))
struct GroupCommitCrashTests {
    @Test("SIGKILL a node under concurrent PUTs: after its restart every acknowledged block reads back intact, from it too")
    func acknowledgedBlocksSurviveSIGKILL() async throws {
        let directory = try makeTemporaryDirectory("vigil-crash")
        var options = DevClusterOptions(directory: directory.path)
        options.zones = ["zone-a"]
        options.volumeTargetBytes = 1 << 20
        options.fsync = true
        options.verifiers = false
        options.masterIntervalMs = 200
        let cluster = try await DevCluster.up(options, log: { _ in })
        do {
            try await check(cluster)
            try await DevCluster.down(cluster, purge: true)
        } catch {
            try? await DevCluster.down(cluster, purge: false)
            throw error
        }
    }

    func check(_ cluster: ClusterFile) async throws {
        let frontend = cluster.frontendClient()
        let victimNode = cluster.zones[0].nodes[1]
        let victim = cluster.process(named: victimNode.process)
        let acked = LockedValue<[BlockKey: [UInt8]]>([:])
        let stop = LockedValue(false)
        let ackedAtKill = LockedValue(0)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    while !stop.value {
                        let data = randomBlock(16384...16384)
                        // A write failing while the node is down is retried by the caller, not acknowledged.
                        guard let result = try? await frontend.put(data), let key = BlockKey(hex: result.key) else {
                            try await Task.sleep(for: .milliseconds(20))
                            continue
                        }
                        acked.withLock { $0[key] = data }
                    }
                }
            }
            group.addTask {
                defer { stop.withLock { $0 = true } }
                #expect(await eventually(timeout: .seconds(120)) { acked.withLock { $0.count } >= 300 })
                DevCluster.kill9(victim)
                ackedAtKill.withLock { $0 = acked.withLock { $0.count } }
                #expect(await eventually(timeout: .seconds(120)) { acked.withLock { $0.count } >= ackedAtKill.value + 200 })
            }
            try await group.waitForAll()
        }
        var restarted = victim
        try DevCluster.restart(&restarted)
        #expect(await eventually(timeout: .seconds(60)) { await DevCluster.isHealthy(victim.health!) })

        let blocks = acked.value
        let index = cluster.index
        let victimClient = cluster.nodeClient(victimNode)
        var readFromVictim = 0
        for (key, data) in blocks {
            guard case .found(let read) = try await frontend.get(key) else {
                Issue.record("acknowledged block \(key) not found")
                continue
            }
            #expect(read == data)
            // The killed node itself holds every acknowledged block of its volumes.
            guard let row = try await index.lookup(key),
                  try await index.replicas(of: row.volume).contains(where: { $0.node.id == victimNode.id && $0.state == "live" }) else { continue }
            #expect(try await victimClient.get(volume: UInt64(row.volume), key: key) == data, "block \(key) on the killed node")
            readFromVictim += 1
        }
        #expect(readFromVictim >= ackedAtKill.value / 4, "the killed node held a share of the acknowledged blocks")

        // What the crash cut short was cut off at restart, never served: its extents parse clean.
        let extents = victimNode.dataDirectory + "/extents"
        for file in try FileManager.default.contentsOfDirectory(atPath: extents) where ExtentName(file) != nil {
            let report = try ExtentReader(path: "\(extents)/\(file)").scan()
            #expect(report.isClean && report.inFlightTailBytes == 0, "\(file): \(report.problems)")
        }
    }
}

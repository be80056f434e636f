import Foundation
import Testing
import VigilCore
import VigilDev
import VigilNodeClient
import VigilPostgres
import VigilTestSupport

/// The windows the chaos run can hit between GC retiring a volume and its
/// extents leaving the nodes, set up deterministically: the master dies after
/// the retire and before recording the trash, a repair died leaving a replica
/// `repairing`, a drain died between installing its copy and adding the
/// replica row, and a holder is down when the master comes back. Every copy
/// must still leave `extents/` (into trash, never unlinked unjudged) and the
/// index must say so.
@Suite("Retired volume's extents", .serialized)
struct RetiredExtentTests {
    @Test("a retired volume's extents leave every node after the master and a holder died between the retire and the trash",
          .timeLimit(.minutes(4)))
    func retiredExtentsLeaveEveryNode() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (started: ClusterFile) async throws in
            var cluster = started
            let frontend = cluster.frontendClient()
            let index = cluster.index
            for _ in 0..<120 { _ = try await frontend.put(randomBlock(512...2048)) }
            var sealed: Int64?
            #expect(try await eventually(timeout: .seconds(60)) {
                sealed = try await index.volumes(inState: "sealed").first?.id
                return sealed != nil
            }, "a full volume is sealed")
            let volume = try #require(sealed)
            let masterAt = try #require(cluster.processes.firstIndex { $0.name == "zone-a/master" })
            DevCluster.kill9(cluster.processes[masterAt])

            // The master emptied the volume, retired it and died before recording its trash.
            for key in try await index.liveKeys(in: volume) { try await frontend.delete(key) }
            #expect(try await index.setVolumeState(volume, from: ["sealed"], to: "retired"))
            let replicas = try await index.replicas(of: volume)
            try #require(replicas.count == 3 && replicas.allSatisfy { $0.state == "live" && $0.generation == 1 })
            let nodes = cluster.zones[0].nodes
            let holders = replicas.map { replica in nodes.first { $0.id == replica.node.id }! }
            let spare = try #require(nodes.first { node in !holders.contains { $0.id == node.id } })
            // A repair died mid-way on one replica: its row is left `repairing`.
            try await index.setReplicaState(volume: volume, node: holders[0].id, state: "repairing")
            // A drain died between installing its copy on the spare node and adding the replica row.
            let name = ExtentName(volume: UInt64(volume), generation: 1)
            let staged = "\(cluster.directory)/staged.extent"
            try await cluster.nodeClient(holders[1], admin: true).downloadExtent(name, to: staged)
            let install = try await index.recordInstall(node: spare.id, volume: volume, generation: 1, reason: "test: a drain that died before its replica row")
            try await cluster.nodeClient(spare, admin: true).installExtent(name, from: staged, instruction: install)
            // A holder is down when the master comes back.
            let down = holders[2]
            let downAt = try #require(cluster.processes.firstIndex { $0.name == down.process })
            DevCluster.kill9(cluster.processes[downAt])
            try DevCluster.restart(&cluster.processes[masterAt])

            func live(on node: ClusterFile.Node) -> Bool { FileManager.default.fileExists(atPath: "\(node.dataDirectory)/extents/\(name)") }
            let answering = holders.dropLast() + [spare]
            #expect(await eventually(timeout: .seconds(60)) { !answering.contains(where: live) },
                    "the copies on the answering nodes leave extents/: \(answering.filter(live).map(\.name))")
            #expect(live(on: down), "the down node's copy waits for it")
            try DevCluster.restart(&cluster.processes[downAt])
            #expect(await eventually(timeout: .seconds(60)) { !live(on: down) }, "the copy on \(down.name) leaves extents/ once it is back")

            for node in answering + [down] {
                #expect(FileManager.default.fileExists(atPath: "\(node.dataDirectory)/trash/\(name)"), "\(node.name)'s copy is in trash, to be judged")
            }
            #expect(try await index.replicas(of: volume).allSatisfy { $0.state == "trashed" }, "the index says every replica is trashed")
            #expect(try await index.pendingInstructions(kind: "trash").filter { $0.volume == volume }.isEmpty, "no trash of it still pending")
            let trashed = Set(try await index.trashedExtents().filter { $0.volume == volume }.map(\.node))
            #expect(trashed == Set((answering + [down]).map(\.id)), "an executed trash instruction for each copy")
        }
    }
}

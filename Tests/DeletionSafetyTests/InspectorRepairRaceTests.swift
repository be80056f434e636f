import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

/// The trash inspector and a repair in flight: the damaged copy a repair just
/// moved to trash, before its verified replacement is installed, is not an
/// accusation; once the replacement lands it is judged, passes, and goes.
@Suite("Trash inspector and a repair in flight", .serialized)
struct InspectorRepairRaceTests {
    typealias Verdicts = TrashInspectorVerdictTests

    @Test("a damaged copy a repair has trashed but not yet replaced is not judged (no failure, no finding); judged and passed once the copy is installed",
          .timeLimit(.minutes(5)))
    func midRepairCopyIsNotAccused() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<150 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let volume = try #require(try await index.volumes(inState: "sealed").first).id
            let replica = try #require(try await index.replicas(of: volume).first)
            let node = Verdicts.node(cluster, replica.node.id)
            let name = ExtentName(volume: UInt64(volume), generation: UInt32(replica.generation))
            let key = try #require(try await index.liveKeys(in: volume).first)

            // The master's first half of a repair, as it does it: replica out of
            // service, the damaged copy moved to trash by a recorded instruction.
            try Verdicts.flipDataByte(at: "\(node.dataDirectory)/extents/\(name)", of: key)
            try await index.setReplicaState(volume: volume, node: node.id, state: "repairing")
            let trash = try await index.recordInstruction(kind: "trash", node: node.id, volume: volume, generation: replica.generation, reason: "repair: test, mid-swap")
            try await cluster.nodeClient(node, admin: true).trash(name, instruction: trash)
            try await index.markExecuted(trash)

            let inspector = try Verdicts.inspector(cluster)
            defer { killProcess(inspector) }
            let before = try await Verdicts.completedPasses(db)
            #expect(try await eventually(timeout: .seconds(60)) { try await Verdicts.completedPasses(db) >= before + 2 })
            let midway = try await Verdicts.inspections(db, node: node.id, volume)
            #expect(midway.passed == 0 && midway.failed == 0, "nothing recorded mid-swap: \(midway)")
            #expect(try await Verdicts.findings(db).isEmpty, "a copy being replaced is not an accusation")
            #expect(FileManager.default.fileExists(atPath: "\(node.dataDirectory)/trash/\(name)"))

            // The second half: the master installs a verified copy (a new generation).
            try await index.requestRebuild(volume: volume, node: node.id, reason: "test: finish the swap")
            #expect(try await eventually(timeout: .seconds(90)) { try await Verdicts.inspections(db, node: node.id, volume).passed > 0 },
                    "judged by its volume's live blocks once the replacement is installed")
            #expect(try await Verdicts.inspections(db, node: node.id, volume).failed == 0)
            #expect(try await Verdicts.findings(db).isEmpty)
            guard case .found(let data) = try await frontend.get(key) else { Issue.record("\(key) unreadable"); return }
            #expect(BlockKey.of(data) == key)
        }
    }
}

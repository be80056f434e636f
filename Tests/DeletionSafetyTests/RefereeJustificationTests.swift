import Foundation
import Logging
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres
import VigilTestSupport
@testable import VigilExtentReferee

/// What justifies an extent in extents/: an install recorded before it was seen
/// there, by instruction id rather than any clock (a later trash, the next
/// repair of the fresh copy, does not undo that),
/// and for an extent an executed trash took out, an install or restore since.
@Suite("Extent referee: instructions as of the event", .serialized)
struct RefereeJustificationTests {
    static func referee(_ cluster: ClusterFile, _ node: ClusterFile.Node) -> ExtentReferee {
        ExtentReferee(
            config: ExtentRefereeConfig(zone: "zone-a", nodeID: node.id, dataDirectory: node.dataDirectory, databaseURL: cluster.zones[0].database),
            logger: Logger(label: "test.referee"))
    }

    static func open(_ db: PostgresConnection, _ kind: String, _ subject: String) async throws -> (rows: Int64, open: Int64) {
        let r = try await db.query("""
            SELECT count(*), count(*) FILTER (WHERE resolved_at IS NULL) FROM findings WHERE verifier = 'extent-referee' AND kind = $1 AND subject = $2
            """, [.text(kind), .text(subject)])
        return (try r.int64(0, 0), try r.int64(0, 1))
    }

    @Test("an install recorded before the extent appeared justifies it though the next repair's trash came before the verdict; an install after a trash it preceded does not",
          .timeLimit(.minutes(3)))
    func appearanceJudgedAsOfItsObservation() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let node = cluster.zones[0].nodes[0]
            let referee = Self.referee(cluster, node)
            // Names the allocator never made (volume 900): only instructions justify them.
            let fresh = ExtentName(volume: 900, generation: 2), back = ExtentName(volume: 900, generation: 1)
            _ = try await index.recordInstall(node: node.id, volume: 900, generation: 1, reason: "test: an old install")
            _ = try await index.recordInstruction(kind: "trash", node: node.id, volume: 900, generation: 1, reason: "test: repaired away")
            _ = try await index.recordInstall(node: node.id, volume: 900, generation: 2, reason: "test: repair installs g2")
            let seen = try await index.instructionWatermark()
            _ = try await index.recordInstruction(kind: "trash", node: node.id, volume: 900, generation: 2, reason: "test: the next repair")
            try await referee.judge(.appeared(fresh), asOf: seen)
            try await referee.judge(.appeared(back), asOf: seen)
            #expect(try await Self.open(db, "unjustified_install", "node/\(node.id)/\(fresh)").rows == 0,
                    "an install recorded before the appearance justifies it, whatever came after")
            #expect(try await Self.open(db, "unjustified_install", "node/\(node.id)/\(back)").open == 1,
                    "an old install does not justify a comeback after its trash")
        }
    }

    @Test("with the database's clock an hour off the referee's, an install recorded before the appearance still justifies it and one recorded after does not",
          .timeLimit(.minutes(3)))
    func appearanceJudgedByInstructionOrderNotClocks() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)  // superuser: may rewrite created_at
            let node = cluster.zones[0].nodes[0]
            let referee = Self.referee(cluster, node)
            func shift(_ id: Int64, _ interval: String) async throws {
                try await db.query("UPDATE extent_instructions SET created_at = now() + $2::interval WHERE id = $1", [.int64(id), .text(interval)])
            }
            // Names the allocator never made (volume 901): only instructions justify them.
            let early = ExtentName(volume: 901, generation: 1), late = ExtentName(volume: 901, generation: 2)
            // Recorded before the appearance, stamped an hour after it (database clock ahead).
            try await shift(try await index.recordInstall(node: node.id, volume: 901, generation: 1, reason: "test: install"), "1 hour")
            let seen = try await index.instructionWatermark()
            // Recorded after the appearance, stamped an hour before it (database clock behind).
            try await shift(try await index.recordInstruction(kind: "trash", node: node.id, volume: 901, generation: 1, reason: "test: next repair"), "-1 hour")
            try await shift(try await index.recordInstall(node: node.id, volume: 901, generation: 2, reason: "test: too late"), "-1 hour")
            try await referee.judge(.appeared(early), asOf: seen)
            try await referee.judge(.appeared(late), asOf: seen)
            #expect(try await Self.open(db, "unjustified_install", "node/\(node.id)/\(early)").rows == 0,
                    "an install recorded before the appearance justifies it whatever its created_at says")
            #expect(try await Self.open(db, "unjustified_install", "node/\(node.id)/\(late)").open == 1,
                    "an install recorded after the appearance does not justify it, though stamped earlier")
        }
    }

    @Test("a trashed copy moved back into extents/ while the referee was away is one open unjustified_restore until a restore instruction; a trash in flight raises nothing",
          .timeLimit(.minutes(4)))
    func resurrectedTrashFoundAtReconcile() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<100 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let volume = try #require(try await index.volumes(inState: "sealed").first).id
            let replica = try #require(try await index.replicas(of: volume).first)
            let node = try #require(cluster.zones[0].nodes.first { $0.id == replica.node.id })
            let name = ExtentName(volume: UInt64(volume), generation: UInt32(replica.generation))
            let subject = "node/\(node.id)/\(name)"
            let referee = Self.referee(cluster, node)
            func findings() async throws -> [String] {
                let rows = try await db.query("SELECT kind FROM findings WHERE verifier = 'extent-referee' AND subject = $1 AND resolved_at IS NULL", [.text(subject)])
                return (0..<rows.count).map { rows.string($0, 0) }
            }

            // A trash instruction (as GC or a drain records it), executed by the master
            // meanwhile: reconciled while it is in flight, then once it is done.
            let trash = try await index.recordInstruction(kind: "trash", node: node.id, volume: volume, generation: replica.generation, reason: "test: gc")
            try await referee.reconcile()
            #expect(try await findings().isEmpty, "a trash in flight is not a finding")
            #expect(try await eventually(timeout: .seconds(30)) {
                try await db.query("SELECT 1 FROM extent_instructions WHERE id = $1 AND executed_at IS NOT NULL", [.int64(trash)]).count == 1
            }, "the master did not execute the trash")
            try await referee.reconcile()
            #expect(try await findings().isEmpty, "an executed trash is not a finding")

            // Moved back by hand while no referee watched.
            try FileManager.default.moveItem(atPath: "\(node.dataDirectory)/trash/\(name)", toPath: "\(node.dataDirectory)/extents/\(name)")
            try await referee.reconcile()
            try await referee.reconcile()
            #expect(try await findings() == ["unjustified_restore"])
            #expect(try await Self.open(db, "unjustified_restore", subject) == (1, 1), "one finding, open across reconciles")

            // Justified by a restore instruction: resolved at the next reconcile.
            _ = try await index.recordInstruction(kind: "restore", node: node.id, volume: volume, generation: replica.generation, reason: "test: restored")
            try await referee.reconcile()
            #expect(try await findings().isEmpty)
        }
    }
}

import Foundation
import Testing
import VigilCore
import VigilDev
import VigilPostgres
import VigilTestSupport

/// A repair request is an accusation, not an order: the master drops one about
/// a generation the replica no longer has, refuses one naming a copy it verifies
/// clean itself, still repairs a damaged copy, and brings a volume back to R when
/// the repair's target dies between the trash and the install.
@Suite("Repair request trust", .serialized)
struct RepairRequestTrustTests {
    /// A sealed volume, one node holding a live replica of it, and that replica's generation.
    static func sealedReplica(_ cluster: ClusterFile) async throws -> (volume: Int64, node: ClusterFile.Node, generation: Int) {
        let frontend = cluster.frontendClient()
        for _ in 0..<300 { _ = try await frontend.put(randomBlock(512...2048)) }
        let index = cluster.index
        let volume = try #require(try await index.volumes(inState: "sealed").first).id
        let replica = try #require(try await index.replicas(of: volume).first { $0.state == "live" })
        return (volume, cluster.zones[0].nodes.first { $0.id == replica.node.id }!, replica.generation)
    }

    /// Inserts a request as a verifier's own database role would (its own name, any volume and node).
    static func request(_ cluster: ClusterFile, as role: DatabaseRole, _ requester: String, volume: Int64, node: Int, generation: Int?) async throws -> Int64 {
        let db = try await PostgresConnection.connect(url: cluster.database(as: role))
        return try await db.query("""
            INSERT INTO repair_queue (volume_id, node_id, generation, reason, requested_by) VALUES ($1, $2, $3, 'forged', $4) RETURNING id
            """, [.int64(volume), .int32(Int32(node)), generation.map { .int32(Int32($0)) } ?? .null, .text(requester)]).int64(0, 0)
    }

    /// The request's state once the master closed it (nil while outstanding after `timeout`).
    static func closedState(_ db: PostgresConnection, _ id: Int64, timeout: Duration = .seconds(60)) async throws -> String? {
        var state: String?
        _ = try await eventually(timeout: timeout, interval: .milliseconds(100)) {
            let now = try await db.query("SELECT state FROM repair_queue WHERE id = $1", [.int64(id)]).string(0, 0)
            state = ["pending", "running"].contains(now) ? nil : now
            return state != nil
        }
        return state
    }

    static func instructions(_ db: PostgresConnection, volume: Int64, node: Int) async throws -> Int {
        try await db.query("SELECT count(*)::int8 FROM extent_instructions WHERE volume_id = $1 AND node_id = $2",
                           [.int64(volume), .int32(Int32(node))]).int(0, 0)
    }

    @Test("a verifier's request against a healthy copy (with or without a generation) is refused: nothing trashed, the extent untouched",
          .timeLimit(.minutes(5)))
    func forgedRequestDestroysNothing() async throws {
        try await withTestCluster { (cluster: ClusterFile) async throws in
            let (volume, node, generation) = try await Self.sealedReplica(cluster)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let extent = "\(node.dataDirectory)/extents/\(ExtentName(volume: UInt64(volume), generation: UInt32(generation)))"
            let before = try Data(contentsOf: URL(fileURLWithPath: extent))
            let named = try await Self.request(cluster, as: .scrubber, "disk-scrubber", volume: volume, node: node.id, generation: generation)
            #expect(try await Self.closedState(db, named) == "refused")
            let unnamed = try await Self.request(cluster, as: .scanner, "metadata-scanner", volume: volume, node: node.id, generation: nil)
            #expect(try await Self.closedState(db, unnamed) == "refused")
            let why = try await db.query("SELECT last_error FROM repair_queue WHERE id = $1", [.int64(named)]).string(0, 0)
            #expect(why.contains("verifies clean"), "\(why)")
            #expect(try await Self.instructions(db, volume: volume, node: node.id) == 0, "no trash or install recorded for the healthy copy")
            #expect(try Data(contentsOf: URL(fileURLWithPath: extent)) == before, "the healthy extent is byte for byte as it was")
            let replica = try await cluster.index.replicas(of: volume).first { $0.node.id == node.id }
            #expect(replica.map { "\($0.state) \($0.generation)" } == "live \(generation)")
        }
    }

    @Test("a request about a generation the replica no longer has is superseded; a damaged copy is still repaired on a verifier's request",
          .timeLimit(.minutes(5)))
    func staleRequestSupersededDamagedRepaired() async throws {
        try await withTestCluster { (cluster: ClusterFile) async throws in
            let (volume, node, generation) = try await Self.sealedReplica(cluster)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            // A bit flip in the first record's data, reported by the scrubber about that generation.
            let path = "\(node.dataDirectory)/extents/\(ExtentName(volume: UInt64(volume), generation: UInt32(generation)))"
            try flipFirstRecordDataBit(at: path)
            let genuine = try await Self.request(cluster, as: .scrubber, "disk-scrubber", volume: volume, node: node.id, generation: generation)
            #expect(try await Self.closedState(db, genuine) == "done")
            let repaired = try #require(try await cluster.index.replicas(of: volume).first { $0.node.id == node.id })
            #expect(repaired.state == "live" && repaired.generation > generation)
            let recorded = try await Self.instructions(db, volume: volume, node: node.id)

            // The same accusation again, about the copy the repair replaced: nothing happens to the new one.
            let stale = try await Self.request(cluster, as: .scanner, "metadata-scanner", volume: volume, node: node.id, generation: generation)
            #expect(try await Self.closedState(db, stale) == "superseded")
            #expect(try await Self.instructions(db, volume: volume, node: node.id) == recorded, "no trash or install for a stale request")
            let after = try await cluster.index.replicas(of: volume).first { $0.node.id == node.id }
            #expect(after.map { "\($0.state) \($0.generation)" } == "live \(repaired.generation)")
        }
    }

    @Test("a repair whose target dies between the trash and the install leaves the volume back at R on another node", .timeLimit(.minutes(6)))
    func targetDyingMidRepairIsHealed() async throws {
        try await withTestCluster { (cluster: ClusterFile) async throws in
            let (volume, node, generation) = try await Self.sealedReplica(cluster)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let index = cluster.index
            let replication = try #require(try await index.volume(volume)).replication
            // Damage the copy so the repair is genuine, then kill its node the moment the copy lands in trash.
            let name = ExtentName(volume: UInt64(volume), generation: UInt32(generation))
            try FileManager.default.removeItem(atPath: "\(node.dataDirectory)/extents/\(name)")
            try Data("not an extent".utf8).write(to: URL(fileURLWithPath: "\(node.dataDirectory)/extents/\(name)"))
            let killer = try KillOnArrival(directory: "\(node.dataDirectory)/trash", pid: cluster.process(named: node.process).pid)
            _ = try await Self.request(cluster, as: .scrubber, "disk-scrubber", volume: volume, node: node.id, generation: generation)
            #expect(try await eventually(timeout: .seconds(60)) { killer.fired }, "the node died as the repair moved the bad copy to trash")
            #expect(FileManager.default.fileExists(atPath: "\(node.dataDirectory)/trash/\(name)"))

            // Back at R: a live replica on a node other than the dead one, holding every live block.
            #expect(try await eventually(timeout: .seconds(120), interval: .milliseconds(200)) {
                try await index.replicas(of: volume).filter { $0.state == "live" && $0.node.id != node.id }.count >= replication
            }, "the volume is back at \(replication) live replicas")
            let healed = try await db.query("SELECT count(*)::int8 FROM rereplications WHERE volume_id = $1 AND lost_node_id = $2 AND finished_at IS NOT NULL",
                                             [.int64(volume), .int32(Int32(node.id))]).int(0, 0)
            #expect(healed == 1, "re-replicated for the copy the failed repair left out of service")
            let keys = try await index.liveKeys(in: volume)
            for replica in try await index.replicas(of: volume) where replica.state == "live" {
                let holder = cluster.zones[0].nodes.first { $0.id == replica.node.id }!
                let present = try await cluster.nodeClient(holder).check(keys.map { (key: $0, volume: UInt64(volume)) })
                #expect(present.allSatisfy { $0 == .present }, "\(holder.name) holds every live block")
            }
        }
    }
}

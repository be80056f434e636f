import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

/// Where a repair copies from: never a hung or dead node, never a copy that
/// does not verify, never the copy it replaces; and a node declared dead is
/// re-replicated even while the repair queue names it.
@Suite("Repair sources", .serialized)
struct RepairSourceTests {
    /// Sealed volumes with a live replica on `node`, and their other live replicas' nodes.
    static func volumes(on node: Int, _ db: PostgresConnection) async throws -> [(volume: Int64, others: [Int])] {
        let rows = try await db.query("""
            SELECT r.volume_id, string_agg(o.node_id::text, ',' ORDER BY o.node_id) FROM volume_replicas r
            JOIN volumes v ON v.id = r.volume_id AND v.state = 'sealed'
            JOIN volume_replicas o ON o.volume_id = r.volume_id AND o.node_id <> r.node_id AND o.state = 'live'
            WHERE r.node_id = $1 AND r.state = 'live' GROUP BY r.volume_id ORDER BY 1
            """, [.int32(Int32(node))])
        return try (0..<rows.count).map { (try rows.int64($0, 0), rows.string($0, 1).split(separator: ",").compactMap { Int($0) }) }
    }

    /// Repairs of `volumes` in each state.
    static func repairStates(_ db: PostgresConnection, _ volumes: [Int64]) async throws -> [String: Int] {
        let rows = try await db.query(
            "SELECT state, count(*)::int8 FROM repair_queue WHERE volume_id = ANY(string_to_array($1, ',')::int8[]) GROUP BY state",
            [.text(volumes.map(String.init).joined(separator: ","))])
        return try Dictionary(uniqueKeysWithValues: (0..<rows.count).map { (rows.string($0, 0), try rows.int($0, 1)) })
    }

    /// The reasons of every install instruction the master recorded for `volumes`.
    static func installReasons(_ db: PostgresConnection, _ volumes: [Int64]) async throws -> [String] {
        let rows = try await db.query(
            "SELECT reason FROM extent_instructions WHERE kind = 'install' AND volume_id = ANY(string_to_array($1, ',')::int8[]) ORDER BY id",
            [.text(volumes.map(String.init).joined(separator: ","))])
        return (0..<rows.count).map { rows.string($0, 0) }
    }

    static func fill(_ cluster: ClusterFile) async throws {
        let frontend = cluster.frontendClient()
        for _ in 0..<300 { _ = try await frontend.put(randomBlock(1024...2048)) }
    }

    @Test("a hung node is never waited on: repairs copy from the other replicas; declared dead, its volumes are back at R while repairs still name it",
          .timeLimit(.minutes(6)))
    func hungNodeNeverStallsTheMaster() async throws {
        try await withTestCluster(volumeTargetBytes: 16 << 10) { (cluster: ClusterFile) async throws in
            try await Self.fill(cluster)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let hung = cluster.zones[0].nodes[1]
            let held = try await Self.volumes(on: hung.id, db)
            try #require(held.count >= 6, "volumes on \(hung.name): \(held.count)")
            // Rebuild another replica of volumes the hung node also holds: each repair
            // could pick the hung node's copy as its source.
            let rebuilt = Array(held.prefix(6))
            let process = cluster.process(named: hung.process)
            kill(process.pid, SIGSTOP)  // accepts connections, answers nothing
            defer { kill(process.pid, SIGCONT) }
            for (volume, others) in rebuilt {
                try await cluster.index.requestRebuild(volume: volume, node: others[0], reason: "test: rebuild")
            }
            var states: [String: Int] = [:]
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(250)) {
                states = try await Self.repairStates(db, rebuilt.map(\.volume))
                return states["done"] == rebuilt.count
            }, "repairs with a hung replica among the sources: \(states)")
            let reasons = try await Self.installReasons(db, rebuilt.map(\.volume))
            #expect(reasons.count == rebuilt.count)
            #expect(!reasons.contains { $0.hasSuffix("copy from \(hung.name)") }, "\(reasons)")

            // Every replica of the hung node queued for repair, then the node declared dead.
            for (volume, _) in held { try await cluster.index.requestRebuild(volume: volume, node: hung.id, reason: "test: hung") }
            try Command.run(["\(Processes.executableDirectory)/vigil", "nodes", "retire", "\(hung.id)", "--dead", "--cluster", DevCluster.clusterPath(cluster.directory)])
            var notAtR: [String] = []
            #expect(try await eventually(timeout: .seconds(90), interval: .milliseconds(500)) {
                notAtR = try await RereplicationTests.volumesNotAtR(db, lost: hung.id)
                return notAtR.isEmpty
            }, "volumes not back at R while repairs name the dead node: \(notAtR)")
            #expect(try await eventually(timeout: .seconds(30)) {
                let open = try await Self.repairStates(db, held.map(\.volume))
                return open["pending", default: 0] + open["running", default: 0] == 0
            }, "repairs of a dead node's replicas are closed, not retried against it")
        }
    }

    @Test("a source whose copy does not verify is skipped for the next replica; with no clean copy left, nothing is installed and the error names only the sources",
          .timeLimit(.minutes(4)))
    func damagedSourceIsSkipped() async throws {
        try await withTestCluster(volumeTargetBytes: 16 << 10) { (cluster: ClusterFile) async throws in
            try await Self.fill(cluster)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let target = cluster.zones[0].nodes[0]
            let held = try await Self.volumes(on: target.id, db).filter { $0.others.count == 2 }
            try #require(held.count >= 5, "volumes on \(target.name): \(held.count)")
            func damage(_ volume: Int64, on node: Int) async throws {
                let replica = try #require(try await cluster.index.replicas(of: volume).first { $0.node.id == node })
                let directory = try #require(cluster.zones[0].nodes.first { $0.id == node }).dataDirectory
                let key = try #require(try await cluster.index.liveKeys(in: volume).first)
                try rewriteExtent(at: "\(directory)/extents/v\(volume).g\(replica.generation).extent", dropping: key)
            }
            // Four volumes with one of the two sources damaged (whichever order the
            // master tries them in), one with both damaged.
            let oneBad = Array(held.prefix(4)), allBad = held[4]
            for (volume, others) in oneBad { try await damage(volume, on: others[0]) }
            for other in allBad.others { try await damage(allBad.volume, on: other) }
            for (volume, _) in held.prefix(5) {
                try await cluster.index.requestRebuild(volume: volume, node: target.id, reason: "test: rebuild")
            }
            var states: [String: Int] = [:]
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(250)) {
                states = try await Self.repairStates(db, oneBad.map(\.volume))
                return states["done"] == oneBad.count
            }, "repairs with one damaged source: \(states)")
            for (volume, others) in oneBad {
                let bad = try #require(cluster.zones[0].nodes.first { $0.id == others[0] }).name
                let reasons = try await Self.installReasons(db, [volume])
                #expect(reasons.count == 1 && !reasons.contains { $0.hasSuffix("copy from \(bad)") }, "volume \(volume): \(reasons)")
            }
            let names = cluster.zones[0].nodes.filter { allBad.others.contains($0.id) }.map(\.name)
            var error = ""
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(250)) {
                let rows = try await db.query("SELECT coalesce(last_error, '') FROM repair_queue WHERE volume_id = $1", [.int64(allBad.volume)])
                error = rows.count == 1 ? rows.string(0, 0) : ""
                return !error.isEmpty
            })
            #expect(names.allSatisfy { error.contains("\($0): source copy") }, "\(error)")
            #expect(!error.contains("\(target.name):"), "the copy being repaired is never a source: \(error)")
            #expect(try await Self.installReasons(db, [allBad.volume]).isEmpty, "nothing installed from a copy that does not verify")
        }
    }
}

import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres
import VigilTestSupport

@Suite("Deletion safety", .serialized, .timeLimit(.minutes(6)))
struct DeletionSafetyTests {
    static func referee(_ cluster: ClusterFile, node: ClusterFile.Node) throws -> Int32 {
        try spawnVerifier(cluster, "vigil-extent-referee", [
            "--zone", "zone-a", "--node-id", "\(node.id)", "--data-dir", node.dataDirectory, "--database", cluster.zones[0].database,
            "--retention-seconds", "5",
        ], log: "referee-\(node.id)")
    }

    static func inspector(_ cluster: ClusterFile) throws -> Int32 {
        try spawnVerifier(cluster, "vigil-trash-inspector", [
            "--zone", "zone-a", "--database", cluster.zones[0].database, "--node-token-file", cluster.tokens.readerFile,
            "--work-dir", cluster.directory + "/inspector",
        ], log: "inspector")
    }

    static func findings(_ db: PostgresConnection, verifier: String, kind: String) async throws -> [String] {
        let rows = try await db.query(
            "SELECT subject FROM findings WHERE verifier = $1 AND kind = $2 AND resolved_at IS NULL", [.text(verifier), .text(kind)])
        return (0..<rows.count).map { rows.string($0, 0) }
    }

    static func write(_ cluster: ClusterFile, _ count: Int) async throws -> [BlockKey] {
        let frontend = cluster.frontendClient()
        var keys: [BlockKey] = []
        for _ in 0..<count { keys.append(BlockKey(hex: try await frontend.put(randomBlock(512...2048)).key)!) }
        return keys
    }

    @Test("the referee catches an rm, a hand move into trash, and (at start) an extent removed while it was down")
    func refereeCatchesUnjustifiedTransitions() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            _ = try await Self.write(cluster, 700)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let node = cluster.zones[0].nodes[0]
            let mine = try await db.query(
                "SELECT r.volume_id FROM volume_replicas r JOIN volumes v ON v.id = r.volume_id WHERE r.node_id = $1 AND v.state = 'sealed' ORDER BY 1",
                [.int32(Int32(node.id))])
            try #require(mine.count >= 3)
            let volumes = try (0..<3).map { try mine.int64($0, 0) }
            let path = { (v: Int64) in "\(node.dataDirectory)/extents/v\(v).g1.extent" }

            // Removed while the referee is not running: found when it starts.
            try FileManager.default.removeItem(atPath: path(volumes[0]))
            let referee = try Self.referee(cluster, node: node)
            defer { killProcess(referee) }
            #expect(try await eventually(timeout: .seconds(30)) {
                try await Self.findings(db, verifier: "extent-referee", kind: "extent_missing").contains("node/\(node.id)/v\(volumes[0]).g1.extent")
            })
            // Give the referee's watch a moment to be in place: its first reconcile finished above.
            try await Task.sleep(for: .milliseconds(500))
            try FileManager.default.removeItem(atPath: path(volumes[1]))
            #expect(try await eventually(timeout: .seconds(10)) {
                try await Self.findings(db, verifier: "extent-referee", kind: "extent_deleted").contains("node/\(node.id)/v\(volumes[1]).g1.extent")
            }, "rm by hand is a finding within seconds")
            try FileManager.default.moveItem(atPath: path(volumes[2]), toPath: "\(node.dataDirectory)/trash/v\(volumes[2]).g1.extent")
            #expect(try await eventually(timeout: .seconds(10)) {
                try await Self.findings(db, verifier: "extent-referee", kind: "unjustified_trash").contains("node/\(node.id)/v\(volumes[2]).g1.extent")
            }, "a hand move into trash is a finding")
        }
    }

    @Test("GC unlinks compacted extents with no finding; a trash instruction for live data fails inspection, is never unlinked, and restore brings it back")
    func gcAndInspection() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let keys = try await Self.write(cluster, 300)
            let frontend = cluster.frontendClient()
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            var spawned = try cluster.zones[0].nodes.map { try Self.referee(cluster, node: $0) }
            spawned.append(try Self.inspector(cluster))
            defer { spawned.forEach(killProcess) }

            // GC: delete most blocks of one sealed volume.
            let sealed = try await index.volumes(inState: "sealed").map(\.id)
            try #require(sealed.count >= 2)
            let gcVolume = sealed[0]
            let inGC = try await index.liveKeys(in: gcVolume)
            for key in inGC.prefix(inGC.count * 2 / 3 + 1) { try await frontend.delete(key) }
            let survivors = Array(inGC.dropFirst(inGC.count * 2 / 3 + 1))
            let gcReplicas = try await index.replicas(of: gcVolume)
            #expect(await eventually(timeout: .seconds(90)) {
                for replica in gcReplicas {
                    let node = cluster.zones[0].nodes.first { $0.id == replica.node.id }!
                    for dir in ["extents", "trash"] where FileManager.default.fileExists(atPath: "\(node.dataDirectory)/\(dir)/v\(gcVolume).g1.extent") {
                        return false
                    }
                }
                return true
            }, "the compacted volume's extents are unlinked on every node")
            #expect(try await index.volume(gcVolume)?.state == "retired")
            for key in survivors {
                guard case .found(let data) = try await frontend.get(key) else { Issue.record("survivor \(key) unreadable"); continue }
                #expect(BlockKey.of(data) == key)
            }
            let gcFindings = try await db.query("""
                SELECT verifier, kind, subject FROM findings WHERE verifier IN ('extent-referee', 'trash-inspector') AND resolved_at IS NULL
                """)
            #expect(gcFindings.count == 0, "\((0..<gcFindings.count).map { gcFindings.string($0, 1) + " " + gcFindings.string($0, 2) })")

            // A master bug: a delete instruction for a volume that still holds live blocks.
            let victim = sealed[1]
            let replica = try await index.replicas(of: victim)[0]
            let node = cluster.zones[0].nodes.first { $0.id == replica.node.id }!
            _ = try await index.recordInstruction(kind: "trash", node: node.id, volume: victim, generation: 1, reason: "test: a master bug")
            let subject = "node/\(node.id)/trash/v\(victim).g1.extent"
            #expect(try await eventually(timeout: .seconds(30)) {
                try await Self.findings(db, verifier: "trash-inspector", kind: "trash_inspection_failed").contains(subject)
            }, "the inspection fails")
            // Well past the retention, the extent is still in trash: unlink refused.
            try await Task.sleep(for: .seconds(8))
            let trashPath = "\(node.dataDirectory)/trash/v\(victim).g1.extent"
            #expect(FileManager.default.fileExists(atPath: trashPath), "never unlinked after a failed inspection")
            #expect(try await db.query("SELECT 1 FROM extent_instructions WHERE kind = 'unlink' AND volume_id = $1", [.int64(victim)]).count == 0)

            // vigil trash restore brings it back, readable on that node.
            try Command.run([
                "\(Processes.executableDirectory)/vigil", "trash", "restore", "--cluster", DevCluster.clusterPath(cluster.directory),
                "--node", "\(node.id)", "--volume", "\(victim)",
            ])
            let live = try await index.liveKeys(in: victim)
            for key in live.prefix(10) {
                #expect(BlockKey.of(try await cluster.nodeClient(node).get(volume: UInt64(victim), key: key)) == key)
            }
            #expect(try await index.replicas(of: victim).first { $0.node.id == node.id }?.state == "live")

            // vigil drain: every replica moves off node 4, which is then retired; every block stays readable.
            try Command.run([
                "\(Processes.executableDirectory)/vigil", "drain", "--cluster", DevCluster.clusterPath(cluster.directory), "4",
            ])
            #expect(try await eventually(timeout: .seconds(120)) { try await index.nodes().first { $0.id == 4 }?.state == "retired" })
            let left = try await db.query("SELECT count(*) FROM volume_replicas WHERE node_id = 4 AND state = 'live'").int(0, 0)
            #expect(left == 0)
            // Every block not deleted by the GC step above still reads back verified; the deleted ones stay deleted.
            let deleted = Set(inGC.prefix(inGC.count * 2 / 3 + 1))
            for key in keys {
                switch try await frontend.get(key) {
                case .found(let data): #expect(!deleted.contains(key) && BlockKey.of(data) == key, "\(key) after the drain")
                case .deleted: #expect(deleted.contains(key), "\(key) reads as deleted after the drain")
                case .notFound: Issue.record("\(key) unknown after the drain")
                }
            }
        }
    }
}

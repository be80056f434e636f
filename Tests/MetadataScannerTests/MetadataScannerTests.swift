import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

@Suite("Metadata scanner", .serialized, .timeLimit(.minutes(5)))
struct MetadataScannerTests {
    static func scannerArguments(_ cluster: ClusterFile) -> [String] {
        ["--zone", "zone-a", "--database", cluster.zones[0].database, "--node-token-file", cluster.tokens.readerFile]
    }

    static func openFindings(_ db: PostgresConnection, kind: String) async throws -> [String] {
        let rows = try await db.query(
            "SELECT subject FROM findings WHERE verifier = 'metadata-scanner' AND kind = $1 AND resolved_at IS NULL ORDER BY subject", [.text(kind)])
        return (0..<rows.count).map { rows.string($0, 0) }
    }

    static func write(_ cluster: ClusterFile, blocks: Int) async throws -> [BlockKey] {
        let frontend = cluster.frontendClient()
        var keys: [BlockKey] = []
        for _ in 0..<blocks { keys.append(BlockKey(hex: try await frontend.put(randomBlock(256...2048)).key)!) }
        return keys
    }

    @Test("a block dropped from a node, a deleted extent, and a row pointing at the wrong volume are each found")
    func findsEachKindOfLoss() async throws {
        try await withTestCluster(volumeTargetBytes: 128 << 10) { (cluster: ClusterFile) async throws in
            let keys = try await Self.write(cluster, blocks: 600)
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let sealed = try await index.volumes(inState: "sealed").map(\.id)
            try #require(sealed.count >= 3)

            // 1. One block dropped from one replica's extent, the node restarted.
            let dropped = try await index.liveKeys(in: sealed[0])[3]
            let replicaA = try await index.replicas(of: sealed[0])[0].node
            let nodeA = cluster.zones[0].nodes.first { $0.id == replicaA.id }!
            let processA = cluster.process(named: "zone-a/\(nodeA.name)")
            await Processes.terminate(processA.pid)
            try rewriteExtent(at: "\(nodeA.dataDirectory)/extents/v\(sealed[0]).g1.extent", dropping: dropped)
            var restarted = processA
            try DevCluster.restart(&restarted)
            #expect(await eventually { await DevCluster.isHealthy(processA.health!) })

            // 2. A whole extent deleted from one node.
            let replicaB = try await index.replicas(of: sealed[1])[1].node
            let nodeB = cluster.zones[0].nodes.first { $0.id == replicaB.id }!
            try FileManager.default.removeItem(atPath: "\(nodeB.dataDirectory)/extents/v\(sealed[1]).g1.extent")
            let lostKeys = try await index.liveKeys(in: sealed[1])

            // 3. An index row pointed at a volume whose replicas do not hold the block.
            let moved = try await index.liveKeys(in: sealed[2]).first!
            try await db.query("UPDATE blocks SET volume_id = $1 WHERE key = $2", [.int64(sealed[0]), .bytea(moved.bytes)])

            let scanner = try spawnVerifier(cluster, "vigil-metadata-scanner", Self.scannerArguments(cluster), log: "scanner")
            defer { killProcess(scanner) }
            let expected = Set(
                ["node/\(nodeA.id)/volume/\(sealed[0])/block/\(dropped.hex)"]
                + lostKeys.map { "node/\(nodeB.id)/volume/\(sealed[1])/block/\($0.hex)" }
                + (try await index.replicas(of: sealed[0])).map { "node/\($0.node.id)/volume/\(sealed[0])/block/\(moved.hex)" })
            var missing: Set<String> = []
            #expect(try await eventually(timeout: .seconds(60)) {
                missing = Set(try await Self.openFindings(db, kind: "missing"))
                return expected.isSubset(of: missing)
            }, "expected \(expected.subtracting(missing))")
            // Nothing else is missing: no false alarms.
            #expect(missing.subtracting(expected).isEmpty, "unexpected: \(missing.subtracting(expected))")
            #expect(try await Self.openFindings(db, kind: "node_unreachable").isEmpty)
            _ = keys
        }
    }

    @Test("a node down mid-pass is unreachable, never missing, and its blocks are checked once it is back")
    func unreachableIsNotMissing() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            _ = try await Self.write(cluster, blocks: 400)
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let node = cluster.zones[0].nodes.first { $0.id == 2 }!
            var onNode2: Int64?
            for v in try await index.volumes(inState: "sealed") where try await index.replicas(of: v.id).contains(where: { $0.node.id == 2 }) {
                onNode2 = v.id
            }
            let volume = try #require(onNode2)
            let process = cluster.process(named: "zone-a/node-2")
            await Processes.terminate(process.pid)

            let scanner = try spawnVerifier(cluster, "vigil-metadata-scanner", Self.scannerArguments(cluster), log: "scanner")
            defer { killProcess(scanner) }
            #expect(try await eventually(timeout: .seconds(60)) { try await !Self.openFindings(db, kind: "node_unreachable").isEmpty })
            #expect(try await Self.openFindings(db, kind: "missing").isEmpty, "a node that does not answer is not missing blocks")
            let completeWhileDown = try await db.query("SELECT count(*) FROM passes WHERE verifier = 'metadata-scanner' AND state = 'complete'").int(0, 0)
            #expect(completeWhileDown == 0, "the pass waits for the node's blocks")

            // While it is down, it loses a block: checked once back, the loss is found.
            let dropped = try await index.liveKeys(in: volume)[0]
            try rewriteExtent(at: "\(node.dataDirectory)/extents/v\(volume).g1.extent", dropping: dropped)
            var restarted = process
            try DevCluster.restart(&restarted)
            #expect(try await eventually(timeout: .seconds(60)) {
                try await db.query("SELECT 1 FROM passes WHERE verifier = 'metadata-scanner' AND state = 'complete'").count > 0
            })
            #expect(try await Self.openFindings(db, kind: "node_unreachable").isEmpty, "resolved once the node answers")
            #expect(try await Self.openFindings(db, kind: "missing") == ["node/\(node.id)/volume/\(volume)/block/\(dropped.hex)"])
        }
    }

    @Test("a scanner killed mid-pass resumes; two shards together check every block exactly once")
    func resumesAndShards() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            _ = try await Self.write(cluster, blocks: 1000)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let total = try await db.query("SELECT count(*) FROM blocks WHERE state = 0").int(0, 0)

            // Slow (100 blocks a step, 200 blocks/s) so it is mid-pass when killed.
            let slow = Self.scannerArguments(cluster) + ["--page-size", "100", "--rate", "200"]
            let first = try spawnVerifier(cluster, "vigil-metadata-scanner", slow, log: "scanner-1")
            var passID: Int64 = 0
            #expect(try await eventually(timeout: .seconds(60)) {
                let rows = try await db.query("SELECT pass_id, length(position) FROM cursors WHERE verifier = 'metadata-scanner'")
                guard rows.count == 1, try rows.int(0, 1) > 0 else { return false }
                passID = try rows.int64(0, 0)
                return true
            })
            killProcess(first)
            let second = try spawnVerifier(cluster, "vigil-metadata-scanner", slow, log: "scanner-2")
            #expect(try await eventually(timeout: .seconds(60)) {
                try await db.query("SELECT 1 FROM passes WHERE id = $1 AND state = 'complete'", [.int64(passID)]).count == 1
            })
            killProcess(second)
            #expect(try await db.query("SELECT items_checked FROM passes WHERE id = $1", [.int64(passID)]).int(0, 0) == total,
                    "every block counted once across the restart")
            #expect(try await db.query("SELECT count(*) FROM passes WHERE state = 'abandoned'").int(0, 0) == 0)

            // Two shards.
            let shards = try ["1/2", "2/2"].map { try spawnVerifier(cluster, "vigil-metadata-scanner", Self.scannerArguments(cluster) + ["--shard", $0], log: "shard") }
            defer { shards.forEach(killProcess) }
            #expect(try await eventually(timeout: .seconds(60)) {
                try await db.query("SELECT count(DISTINCT scope) FROM passes WHERE scope LIKE 'zone-a/shard-%' AND state = 'complete'").int(0, 0) == 2
            })
            let rows = try await db.query("""
                SELECT scope, items_checked FROM passes WHERE scope LIKE 'zone-a/shard-%' AND state = 'complete' ORDER BY id
                """)
            var firstPass: [String: Int] = [:]
            for i in 0..<rows.count where firstPass[rows.string(i, 0)] == nil { firstPass[rows.string(i, 0)] = try rows.int(i, 1) }
            #expect(firstPass.count == 2)
            #expect(firstPass.values.allSatisfy { $0 > 0 })
            #expect(firstPass.values.reduce(0, +) == total, "the shards split the key space exactly")
        }
    }
}

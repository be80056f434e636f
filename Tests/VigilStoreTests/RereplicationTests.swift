import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

/// A node lost for good: the master brings every volume back to R replicas on
/// the other nodes, from verified copies, and the gate signs off again. A node
/// that is merely restarted is not lost.
@Suite("Re-replication", .serialized)
struct RereplicationTests {
    /// Kills a node and the verifiers of its host with SIGKILL, and deletes its data.
    static func loseForGood(_ cluster: ClusterFile, _ node: ClusterFile.Node) throws {
        for process in cluster.processes where process.name == node.process || process.name.hasPrefix(node.process + "/") {
            DevCluster.kill9(process)
            Processes.reap(process.pid)
        }
        try FileManager.default.removeItem(atPath: node.dataDirectory)
    }

    /// Volumes holding data whose live replicas are not R distinct nodes other than `lost`.
    static func volumesNotAtR(_ db: PostgresConnection, lost: Int) async throws -> [String] {
        let rows = try await db.query("""
            SELECT v.id::text || ': ' || coalesce(string_agg(r.node_id::text, ',') FILTER (WHERE r.state = 'live'), '-') FROM volumes v
            LEFT JOIN volume_replicas r ON r.volume_id = v.id WHERE v.state <> 'retired' GROUP BY v.id, v.replication
            HAVING count(DISTINCT r.node_id) FILTER (WHERE r.state = 'live' AND r.node_id <> $1) <> v.replication
                OR bool_or(r.state = 'live' AND r.node_id = $1)
            """, [.int32(Int32(lost))])
        return (0..<rows.count).map { rows.string($0, 0) }
    }

    static func readsAll(_ cluster: ClusterFile, _ keys: [BlockKey]) async throws -> Bool {
        let frontend = cluster.frontendClient()
        for key in keys {
            guard case .found(let data) = try await frontend.get(key), BlockKey.of(data) == key else { return false }
        }
        return true
    }

    @Test("a node killed and wiped, retired --dead: every volume back at R on distinct live nodes, all blocks read, the gate signs off", .timeLimit(.minutes(9)))
    func deadNodeIsRereplicated() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10, verifiers: true) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            var keys: [BlockKey] = []
            for _ in 0..<200 { keys.append(BlockKey(hex: try await frontend.put(randomBlock(512...2048)).key)!) }
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let node = cluster.zones[0].nodes[1]
            let held = try await db.query("SELECT count(*)::int8 FROM volume_replicas WHERE node_id = $1 AND state = 'live'", [.int32(Int32(node.id))]).int(0, 0)
            try #require(held > 0)

            try Self.loseForGood(cluster, node)
            try Command.run(["\(Processes.executableDirectory)/vigil", "nodes", "retire", "\(node.id)", "--dead", "--cluster", DevCluster.clusterPath(cluster.directory)])
            var notAtR: [String] = []
            #expect(try await eventually(timeout: .seconds(180), interval: .milliseconds(500)) {
                notAtR = try await Self.volumesNotAtR(db, lost: node.id)
                let state = try await cluster.index.nodes().first { $0.id == node.id }?.state
                return notAtR.isEmpty && state == "retired"
            }, "volumes not back at R: \(notAtR)")
            #expect(try await Self.readsAll(cluster, keys))

            // Every lost replica has a finished re-replication with its install instruction and timing.
            let work = try await db.query("""
                SELECT count(*)::int8, count(*) FILTER (WHERE finished_at IS NOT NULL AND finished_at >= node_lost_at
                    AND (target_node_id IS NULL OR instruction_id IN (SELECT id FROM extent_instructions WHERE kind = 'install' AND executed_at IS NOT NULL)))::int8
                FROM rereplications WHERE lost_node_id = $1
                """, [.int32(Int32(node.id))])
            let (opened, finished) = (try work.int(0, 0), try work.int(0, 1))
            #expect(opened == held && finished == held, "\(opened) re-replications, \(finished) finished, \(held) lost")

            // The loss itself is a true finding (a volume short of R until it is
            // rebuilt), so the gate signs off again over a window that opens
            // after the recovery: every verifier's passes since then, no error.
            let recovered = ContinuousClock.now
            var gate = (status: Int32(-1), output: "")
            #expect(try await eventually(timeout: .seconds(240), interval: .seconds(1)) {
                let since = Int((ContinuousClock.now - recovered).components.seconds) - 10
                guard since >= 20 else { return false }
                gate = try Command.runStatus(["\(Processes.executableDirectory)/vigil", "gate", "--cluster", DevCluster.clusterPath(cluster.directory), "--window", "\(since)s"])
                return gate.status == 0
            }, "the gate does not sign off again: \(gate.output)")
            let open = try await db.query("SELECT verifier || ' ' || kind || ' ' || subject FROM findings WHERE resolved_at IS NULL AND severity IN ('error', 'critical')")
            #expect(open.count == 0, "\((0..<open.count).map { open.string($0, 0) })")
        }
    }

    @Test("with --dead-after-seconds a restarted node is not lost; one that stays down is declared dead and re-replicated", .timeLimit(.minutes(6)))
    func deadAfterTimeout() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            var master = cluster.process(named: "zone-a/master")
            await Processes.terminate(master.pid)
            master.arguments += ["--dead-after-seconds", "15"]
            try DevCluster.restart(&master)
            #expect(await eventually(timeout: .seconds(30)) { await DevCluster.isHealthy(master.health!) })
            let frontend = cluster.frontendClient()
            var keys: [BlockKey] = []
            for _ in 0..<120 { keys.append(BlockKey(hex: try await frontend.put(randomBlock(512...2048)).key)!) }
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let node = cluster.zones[0].nodes[2]

            // A restart (a few seconds down) is not a loss: nothing happens for well past the threshold.
            var process = cluster.process(named: node.process)
            await Processes.terminate(process.pid)
            try DevCluster.restart(&process)
            #expect(await eventually(timeout: .seconds(30)) { await DevCluster.isHealthy(process.health!) })
            let lost = try await eventually(timeout: .seconds(25), interval: .seconds(1)) {
                let state = try await cluster.index.nodes().first { $0.id == node.id }?.state
                return try await db.query("SELECT 1 FROM rereplications").count > 0 || state != "up"
            }
            #expect(!lost, "a restarted node was declared dead")

            // Down for good: declared dead by the master, its volumes re-created elsewhere.
            var restarted = cluster
            restarted.processes = restarted.processes.map { $0.name == process.name ? process : $0 }
            try Self.loseForGood(restarted, node)
            #expect(try await eventually(timeout: .seconds(120), interval: .milliseconds(500)) {
                try await db.query("SELECT 1 FROM nodes WHERE id = $1 AND dead_reason LIKE 'unanswered%'", [.int32(Int32(node.id))]).count > 0
            }, "declared dead after the threshold")
            var notAtR: [String] = []
            #expect(try await eventually(timeout: .seconds(120), interval: .milliseconds(500)) {
                notAtR = try await Self.volumesNotAtR(db, lost: node.id)
                return notAtR.isEmpty
            }, "volumes not back at R: \(notAtR)")
            #expect(try await Self.readsAll(cluster, keys))
        }
    }
}

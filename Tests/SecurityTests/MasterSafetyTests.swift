import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres
import VigilTestSupport

/// The master cannot destroy a node's worth of data in one go (the blast-radius
/// cap on trash, unlink, install-over and drain), and handles volumes of more
/// blocks than one presence check may carry.
@Suite("Master safety", .serialized)
struct MasterSafetyTests {
    /// Restarts the cluster's master with extra options (smaller floors, so a
    /// small test cluster shows the shares at work).
    static func restartMaster(_ cluster: ClusterFile, _ extra: [String]) async throws {
        var master = cluster.process(named: "zone-a/master")
        await Processes.terminate(master.pid)
        master.arguments += extra
        try DevCluster.restart(&master)
        #expect(await eventually(timeout: .seconds(30)) { await DevCluster.isHealthy(master.health!) })
    }

    /// Blocks of 2–3 KiB into 4 KiB volumes: about two blocks a volume, many extents a node.
    static func write(_ cluster: ClusterFile, _ count: Int) async throws -> [BlockKey] {
        let frontend = cluster.frontendClient()
        var keys: [BlockKey] = []
        for _ in 0..<count { keys.append(BlockKey(hex: try await frontend.put(randomBlock(2048...3072)).key)!) }
        return keys
    }

    static func scalar(_ db: PostgresConnection, _ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await db.query(sql, parameters).int(0, 0)
    }

    /// Open blast-radius findings: subject → details.
    static func blastFindings(_ db: PostgresConnection) async throws -> [String: [String: String]] {
        let rows = try await db.query("""
            SELECT subject, details::text FROM findings WHERE verifier = 'master' AND kind = 'blast_radius_exceeded' AND resolved_at IS NULL
            """)
        var out: [String: [String: String]] = [:]
        for i in 0..<rows.count {
            out[rows.string(i, 0)] = (try? JSONSerialization.jsonObject(with: Data(rows.string(i, 1).utf8))) as? [String: String] ?? [:]
        }
        return out
    }

    @Test("a drain of a node past the cap is refused with one finding and nothing trashed; lifted, it completes", .timeLimit(.minutes(5)))
    func drainIsCapped() async throws {
        try await withTestCluster(volumeTargetBytes: 4 << 10) { (cluster: ClusterFile) async throws in
            try await Self.restartMaster(cluster, ["--blast-radius-min-node-extents", "2", "--blast-radius-min-zone-extents", "4"])
            let keys = try await Self.write(cluster, 60)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let node = cluster.zones[0].nodes[1]
            let held = try await Self.scalar(db, "SELECT count(*)::int8 FROM volume_replicas WHERE node_id = $1 AND state = 'live'", [.int32(Int32(node.id))])
            try #require(held >= 10, "the node holds well over 10% of its extents' cap")

            try Command.run(["\(Processes.executableDirectory)/vigil", "drain", "--cluster", DevCluster.clusterPath(cluster.directory), "\(node.id)"])
            let subject = "zone/zone-a/blast-radius/drain"
            #expect(try await eventually(timeout: .seconds(30)) { try await Self.blastFindings(db)[subject] != nil }, "the drain is refused with a finding")
            // Several more rounds: the finding stays one, nothing moves, nothing is trashed.
            #expect(try await eventually(timeout: .seconds(30)) {
                try await Self.scalar(db, "SELECT count(*)::int8 FROM findings WHERE kind = 'blast_radius_exceeded' AND last_seen > first_seen + interval '2 seconds'") == 1
            })
            let findings = try await Self.blastFindings(db)
            #expect(findings.count == 1)
            let details = findings[subject] ?? [:]
            #expect(details["action"] == "drain" && details["node"] == "\(node.id)")
            #expect(Int(details["would_touch"] ?? "") ?? 0 >= held && Int(details["cap"] ?? "") ?? .max < held, "\(details)")
            #expect(try await Self.scalar(db, "SELECT count(*)::int8 FROM extent_instructions WHERE node_id = $1", [.int32(Int32(node.id))]) == 0)
            #expect(try await Self.scalar(db, "SELECT count(*)::int8 FROM volume_replicas WHERE node_id = $1 AND state = 'live'", [.int32(Int32(node.id))]) == held)
            #expect(try await cluster.index.nodes().first { $0.id == node.id }?.state == "draining", "the drain stays pending")

            // An operator's decommission lifts the cap for the node: the drain completes.
            try Command.run([
                "\(Processes.executableDirectory)/vigil", "drain", "--cluster", DevCluster.clusterPath(cluster.directory), "\(node.id)", "--lift-blast-radius-cap",
            ])
            #expect(try await eventually(timeout: .seconds(150), interval: .milliseconds(250)) {
                try await cluster.index.nodes().first { $0.id == node.id }?.state == "retired"
            }, "the lifted drain completes")
            #expect(try await Self.scalar(db, "SELECT count(*)::int8 FROM volume_replicas WHERE node_id = $1 AND state = 'live'", [.int32(Int32(node.id))]) == 0)
            #expect(try await eventually(timeout: .seconds(10)) { try await Self.blastFindings(db).isEmpty }, "the finding resolves once the drain is within the cap")
            let frontend = cluster.frontendClient()
            for key in keys.shuffled().prefix(20) {
                guard case .found(let data) = try await frontend.get(key) else { Issue.record("\(key) unreadable after the drain"); continue }
                #expect(BlockKey.of(data) == key)
            }
        }
    }

    @Test("a bad script's bulk trash stops at the cap: the rest stays pending, one finding", .timeLimit(.minutes(4)))
    func bulkTrashIsCapped() async throws {
        try await withTestCluster(volumeTargetBytes: 4 << 10) { (cluster: ClusterFile) async throws in
            try await Self.restartMaster(cluster, ["--blast-radius-min-node-extents", "3", "--blast-radius-min-zone-extents", "1000"])
            _ = try await Self.write(cluster, 60)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let node = cluster.zones[0].nodes[0]
            let volumes = try await db.query("""
                SELECT r.volume_id FROM volume_replicas r JOIN volumes v ON v.id = r.volume_id
                WHERE r.node_id = $1 AND r.state = 'live' AND v.state = 'sealed' ORDER BY 1
                """, [.int32(Int32(node.id))])
            try #require(volumes.count >= 10)
            let extents = try await Self.scalar(db, "SELECT count(*)::int8 FROM volume_replicas WHERE node_id = $1", [.int32(Int32(node.id))])
            let index = cluster.index
            for i in 0..<volumes.count {
                _ = try await index.recordInstruction(kind: "trash", node: node.id, volume: try volumes.int64(i, 0), generation: 1, reason: "test: a bad script")
            }
            let subject = "zone/zone-a/blast-radius/trash"
            #expect(try await eventually(timeout: .seconds(30)) { try await Self.blastFindings(db)[subject] != nil })
            let cap = Int(try await Self.blastFindings(db)[subject]?["cap"] ?? "") ?? -1
            #expect(cap == max(3, extents / 10), "10% of the node's extents, at least the floor")
            // Rounds go on; the number moved into trash stays at the cap.
            #expect(try await eventually(timeout: .seconds(30)) {
                try await Self.scalar(db, "SELECT count(*)::int8 FROM findings WHERE kind = 'blast_radius_exceeded' AND last_seen > first_seen + interval '2 seconds'") == 1
            })
            let executed = try await Self.scalar(db, "SELECT count(*)::int8 FROM extent_instructions WHERE kind = 'trash' AND executed_at IS NOT NULL")
            let pending = try await Self.scalar(db, "SELECT count(*)::int8 FROM extent_instructions WHERE kind = 'trash' AND executed_at IS NULL")
            #expect(executed == cap && pending == volumes.count - cap, "executed \(executed), pending \(pending)")
            let inTrash = try FileManager.default.contentsOfDirectory(atPath: "\(node.dataDirectory)/trash").filter { $0.hasSuffix(".extent") }
            #expect(inTrash.count == cap)
            #expect(try await Self.blastFindings(db).count == 1)
            #expect(try await Self.blastFindings(db)[subject]?["would_touch"] == "\(volumes.count)")
        }
    }

    @Test("GC with a threshold that would compact every volume stops at the zone cap", .timeLimit(.minutes(4)))
    func bulkGCIsCapped() async throws {
        try await withTestCluster(volumeTargetBytes: 4 << 10) { (cluster: ClusterFile) async throws in
            // Zone cap 4 extents an hour: one compaction (3 trashed extents) fits, a second does not.
            try await Self.restartMaster(cluster, ["--blast-radius-min-node-extents", "1000", "--blast-radius-min-zone-extents", "4", "--blast-radius-zone-share", "0.01"])
            let keys = try await Self.write(cluster, 60)
            let frontend = cluster.frontendClient()
            for key in keys { try await frontend.delete(key) }
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let subject = "zone/zone-a/blast-radius/trash"
            #expect(try await eventually(timeout: .seconds(60)) { try await Self.blastFindings(db)[subject] != nil })
            #expect(try await eventually(timeout: .seconds(30)) {
                try await Self.scalar(db, "SELECT count(*)::int8 FROM findings WHERE kind = 'blast_radius_exceeded' AND last_seen > first_seen + interval '2 seconds'") == 1
            })
            let trashed = try await Self.scalar(db, "SELECT count(*)::int8 FROM extent_instructions WHERE kind = 'trash'")
            #expect(trashed <= 4, "GC's trash stays within the zone cap")
            let waiting = try await Self.scalar(db, "SELECT count(*)::int8 FROM volumes WHERE state = 'sealed'")
            #expect(waiting >= 10, "the other candidates wait, sealed and intact")
        }
    }

    @Test("a volume of 300,000 tiny blocks is repaired and drained (presence checks in chunks)", .timeLimit(.minutes(5)))
    func manySmallBlocks() async throws {
        try await withTestCluster { (cluster: ClusterFile) async throws in
            let count = 300_000
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let volume = Int64(try await Self.scalar(db, "SELECT nextval('volume_ids')::int8"))
            let name = ExtentName(volume: UInt64(volume), generation: 1)
            // Built directly (through the frontend 300,000 PUTs would take minutes on 2 cores):
            // one sealed extent installed on three nodes, the index rows in one statement.
            let directory = try makeTemporaryDirectory("vigil-small-blocks")
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("\(name)").path
            let writer = try ExtentWriter.create(path: path, header: ExtentHeader(volume: UInt64(volume), generation: 1, createdAtMicros: 1))
            let salt = UInt64.random(in: 0...UInt64.max)
            var keys: [BlockKey] = []
            var rows = ""
            keys.reserveCapacity(count)
            for i in 0..<count {
                let data = withUnsafeBytes(of: salt) { Array($0) } + withUnsafeBytes(of: UInt64(i)) { Array($0) }
                let key = BlockKey.of(data)
                let entry = try writer.append(key: key, data: data, writtenAtMicros: 1)
                keys.append(key)
                rows += "\(key.hex):\(Int32(bitPattern: entry.dataCRC)),"
            }
            try writer.seal()
            rows.removeLast()
            try await db.query("INSERT INTO volumes (id, state, generation, replication, size_bytes, sealed_at) VALUES ($1, 'sealed', 1, 3, $2, now())",
                               [.int64(volume), .int64(Int64(count * 16))])
            let holders = Array(cluster.zones[0].nodes.prefix(3))
            for node in holders {
                try await cluster.nodeClient(node, admin: true).installExtent(name, from: path)
                try await db.query("INSERT INTO volume_replicas (volume_id, node_id, generation, state) VALUES ($1, $2, 1, 'live')", [.int64(volume), .int32(Int32(node.id))])
            }
            try await db.query("""
                INSERT INTO blocks (key, volume_id, length, checksum, state)
                SELECT decode(split_part(r, ':', 1), 'hex'), $1, 16, split_part(r, ':', 2)::int4, 0 FROM unnest(string_to_array($2, ',')) AS r
                """, [.int64(volume), .text(rows)])
            #expect(try await Self.scalar(db, "SELECT count(*)::int8 FROM blocks WHERE volume_id = $1", [.int64(volume)]) == count)

            // A repair over one replica: its presence check alone exceeds one request's limit.
            let index = cluster.index
            try await index.requestRebuild(volume: volume, node: holders[0].id, reason: "test: rebuild a replica of many small blocks")
            let repaired = try await eventually(timeout: .seconds(90), interval: .milliseconds(250)) {
                try await index.repairCounts()["done", default: 0] == 1
            }
            let repair = try await db.query("SELECT state, coalesce(last_error, '') FROM repair_queue")
            #expect(repaired, "repair: \(repair.string(0, 0)) \(repair.string(0, 1))")

            // Drain one holder onto the fourth node.
            try Command.run([
                "\(Processes.executableDirectory)/vigil", "drain", "--cluster", DevCluster.clusterPath(cluster.directory), "\(holders[1].id)", "--lift-blast-radius-cap",
            ])
            #expect(try await eventually(timeout: .seconds(120), interval: .milliseconds(250)) {
                try await index.nodes().first { $0.id == holders[1].id }?.state == "retired"
            }, "drained")
            let target = cluster.zones[0].nodes[3]
            #expect(try await index.replicas(of: volume).first { $0.node.id == target.id }?.state == "live")
            for node in [holders[0], target] {
                var present = 0
                for start in stride(from: 0, to: count, by: 100_000) {
                    let chunk = keys[start..<min(count, start + 100_000)].map { (key: $0, volume: UInt64(volume)) }
                    present += try await cluster.nodeClient(node).check(chunk).filter { $0 == .present }.count
                }
                #expect(present == count, "\(node.name) holds every block")
            }
            #expect(try await Self.blastFindings(db).isEmpty)
        }
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

/// "Re-read before you accuse": GC, compaction, drain and repair moving blocks
/// and replicas under a pass produce no finding and no repair request.
@Suite("Precision under change", .serialized)
struct PrecisionUnderChangeTests {
    /// How long the store keeps changing under the verifiers.
    static let churn: Duration = .seconds(70)

    /// Starts a verifier with its production cadence (no `--profile dev`: page
    /// size and cache lifetimes as in production unless given), as the verifier role.
    static func spawnProduction(_ cluster: ClusterFile, _ executable: String, _ arguments: [String], port: Int, log: String) throws -> Int32 {
        let database = cluster.database(as: try #require(DatabaseRole.of(executable: executable)))
        return try Processes.spawn(
            ["\(Processes.executableDirectory)/\(executable)", "--zone", "zone-a", "--database", database,
             "--node-token-file", cluster.tokens.readerFile, "--port", "\(port)"] + arguments,
            log: "\(cluster.directory)/logs/\(log).log")
    }

    /// The value of the metric line starting with `prefix` in a daemon's `/metrics`.
    static func metric(_ port: Int, _ prefix: String) async -> Double? {
        guard let (data, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!) else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(prefix) }
            .flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
    }

    /// Keys written and not yet deleted, shared by the load loops.
    actor Written {
        var keys: [BlockKey] = []
        func add(_ key: BlockKey) { keys.append(key) }
        func takeRandom() -> BlockKey? { keys.isEmpty ? nil : keys.remove(at: Int.random(in: 0..<keys.count)) }
    }

    static func until(_ deadline: ContinuousClock.Instant, _ body: () async throws -> Void) async throws {
        while ContinuousClock.now < deadline {
            try await body()
        }
    }

    static func scalar(_ db: PostgresConnection, _ sql: String) async throws -> Int {
        try await db.query(sql).int(0, 0)
    }

    @Test("GC, compaction, drain and repair for over a minute under the scanner and the inspector at production pacing: no finding, no repair request", .timeLimit(.minutes(6)))
    func noFindingUnderChange() async throws {
        try await withTestCluster(nodes: 5, volumeTargetBytes: 48 << 10) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            // This churn (every node drained in turn, healthy replicas re-copied,
            // most volumes compacted) is maintenance an operator announces: the
            // master's blast-radius cap is lifted for every node, as for a
            // decommission, so the run measures the verifiers, not the cap.
            for node in cluster.zones[0].nodes {
                try await index.liftBlastRadiusCap(node: node.id, seconds: 3600, reason: "test: announced maintenance churn")
            }
            let written = Written()
            for _ in 0..<600 { await written.add(BlockKey(hex: try await frontend.put(randomBlock(512...2048)).key)!) }

            // Production cadence: the scanner's 30 s replica cache and pages read
            // ahead while the nodes answer; rates raised so passes take seconds.
            // Shard 1 takes small pages (many passes, a map older than its pages);
            // shard 2 large pages at a low rate, so each page is ~8 s old when
            // checked — against churn far faster than production's.
            var spawned: [Int32] = []
            defer { spawned.forEach(killProcess) }
            let scannerPorts = [try freeLoopbackPort(), try freeLoopbackPort()]
            spawned.append(try Self.spawnProduction(cluster, "vigil-metadata-scanner", [
                "--shard", "1/2", "--rate", "300", "--page-size", "100", "--pass-interval-ms", "200",
            ], port: scannerPorts[0], log: "scanner-1"))
            spawned.append(try Self.spawnProduction(cluster, "vigil-metadata-scanner", [
                "--shard", "2/2", "--rate", "60", "--page-size", "500", "--pass-interval-ms", "200",
            ], port: scannerPorts[1], log: "scanner-2"))
            spawned.append(try Self.spawnProduction(cluster, "vigil-trash-inspector", [
                "--work-dir", cluster.directory + "/inspector", "--pass-interval-ms", "200",
            ], port: try freeLoopbackPort(), log: "inspector"))

            let start = ContinuousClock.now
            let deadline = start + Self.churn
            let startedAt = try await db.query("SELECT now()::text").string(0, 0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Writes and deletes: most of what is written is deleted, so sealed
                // volumes cross the master's GC threshold and are compacted.
                group.addTask {
                    try await Self.until(deadline) {
                        for _ in 0..<10 { await written.add(BlockKey(hex: try await frontend.put(randomBlock(512...2048)).key)!) }
                        for _ in 0..<7 { if let key = await written.takeRandom() { try await frontend.delete(key) } }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
                // Drain: one node at a time is drained to retirement, then put back up.
                group.addTask {
                    try await Self.until(deadline) {
                        let up = try await index.nodes().filter { $0.state == "up" }
                        guard let node = up.randomElement() else { return }
                        try await index.register(NodeRecord(id: node.id, name: node.name, address: node.address, state: "draining"))
                        _ = try await eventually(timeout: .seconds(40), interval: .milliseconds(200)) {
                            try await index.nodes().first { $0.id == node.id }?.state == "retired" || ContinuousClock.now > deadline
                        }
                        try await index.register(NodeRecord(id: node.id, name: node.name, address: node.address, state: "up"))
                    }
                }
                // Repairs: healthy live replicas of sealed volumes re-copied by the master.
                group.addTask {
                    try await Self.until(deadline) {
                        let rows = try await index.pool.withConnection { c in
                            try await c.query("""
                                SELECT r.volume_id, r.node_id FROM volume_replicas r JOIN volumes v ON v.id = r.volume_id
                                WHERE r.state = 'live' AND v.state = 'sealed' ORDER BY random() LIMIT 2
                                """)
                        }
                        for i in 0..<rows.count {
                            try await index.requestRebuild(volume: try rows.int64(i, 0), node: try rows.int(i, 1), reason: "test: re-copy a healthy replica")
                        }
                        try await Task.sleep(for: .milliseconds(500))
                    }
                }
                try await group.waitForAll()
            }

            // One more scanner pass over what the churn left, so nothing accused late is missed.
            let ended = try await db.query("SELECT now()::text").string(0, 0)
            #expect(try await eventually(timeout: .seconds(90), interval: .milliseconds(500)) {
                try await Self.scalar(db, "SELECT count(DISTINCT scope)::int8 FROM passes WHERE verifier = 'metadata-scanner' AND state = 'complete' AND started_at > '\(ended)'::timestamptz") == 2
            }, "a pass of each scanner shard after the churn")

            // The store did change under the verifiers, and they kept passing.
            let since = "'\(startedAt)'::timestamptz"
            let compacted = try await Self.scalar(db, "SELECT count(*)::int8 FROM extent_instructions WHERE kind = 'trash' AND reason LIKE 'gc:%' AND executed_at > \(since)")
            let drained = try await Self.scalar(db, "SELECT count(*)::int8 FROM extent_instructions WHERE kind = 'trash' AND reason LIKE 'drain:%' AND executed_at > \(since)")
            let repaired = try await Self.scalar(db, "SELECT count(*)::int8 FROM repair_queue WHERE requested_by = 'operator' AND state = 'done'")
            let passes = try await db.query("""
                SELECT count(*) FILTER (WHERE scope LIKE '%shard-1-%')::int8, count(*) FILTER (WHERE scope LIKE '%shard-2-%')::int8
                FROM passes WHERE verifier = 'metadata-scanner' AND state = 'complete' AND finished_at > \(since)
                """)
            let scannerPasses = [try passes.int(0, 0), try passes.int(0, 1)]
            let inspections = try await Self.scalar(db, "SELECT count(*)::int8 FROM trash_inspections WHERE passed")
            // The churn raced the verifiers: what they suspected, re-reading cleared.
            var cleared = 0.0
            for port in scannerPorts { cleared += await Self.metric(port, "vigil_metadata_scanner_suspects_cleared_total") ?? 0 }
            let inspectorLog = (try? String(contentsOfFile: "\(cluster.directory)/logs/inspector.log", encoding: .utf8)) ?? ""
            let rejudged = inspectorLog.split(separator: "\n").filter { $0.contains("re-reading cleared keys") }.count
            print("precision under change: \(Int(cleared)) scanner suspects cleared by re-reading, \(rejudged) inspections cleared by re-judging")
            #expect(cleared > 0, "the churn raced the scanner (else this test proves nothing)")
            print("precision under change: \(compacted) gc trash, \(drained) drain trash, \(repaired) repairs, \(scannerPasses) scanner passes, \(inspections) passed inspections")
            #expect(compacted >= 3, "GC compacted volumes during the run")
            #expect(drained >= 3, "drain moved replicas during the run")
            #expect(repaired >= 10, "the master re-copied replicas during the run")
            #expect(scannerPasses[0] >= 5 && scannerPasses[1] >= 2, "each scanner shard completed several passes during the run")
            #expect(inspections >= 3, "the inspector judged trash extents during the run")

            let findings = try await db.query("""
                SELECT verifier, kind, subject, coalesce(details->>'detail', '') FROM findings ORDER BY id
                """)
            let listed = (0..<findings.count).map { "\(findings.string($0, 0)) \(findings.string($0, 1)) \(findings.string($0, 2)) \(findings.string($0, 3))" }
            #expect(findings.count == 0, "findings under change: \(listed.prefix(20))")
            let requests = try await db.query("SELECT requested_by, reason FROM repair_queue WHERE requested_by <> 'operator'")
            #expect(requests.count == 0, "repair requests: \((0..<min(20, requests.count)).map { requests.string($0, 0) + " " + requests.string($0, 1) })")
            let failedInspections = try await Self.scalar(db, "SELECT count(*)::int8 FROM trash_inspections WHERE NOT passed")
            #expect(failedInspections == 0, "no trash inspection failed")
        }
    }
}

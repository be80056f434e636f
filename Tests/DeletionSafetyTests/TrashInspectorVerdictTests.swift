import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

/// The trash inspector's verdicts against a real cluster: GC puts real extents in
/// trash, the test damages what it needs, then starts the inspector.
@Suite("Trash inspector verdicts", .serialized)
struct TrashInspectorVerdictTests {
    /// Deletes most blocks of `volume` so the master compacts it, then waits until
    /// every replica of it lies in its node's trash. Returns the surviving keys.
    static func collect(_ cluster: ClusterFile, _ volume: Int64) async throws -> [BlockKey] {
        let index = cluster.index
        let frontend = cluster.frontendClient()
        let keys = try await index.liveKeys(in: volume)
        let doomed = keys.count * 2 / 3 + 1
        for key in keys.prefix(doomed) { try await frontend.delete(key) }
        let holders = try await index.replicas(of: volume).map(\.node.id)
        let trashed = try await eventually(timeout: .seconds(60)) {
            holders.allSatisfy { FileManager.default.fileExists(atPath: trashPath(cluster, node: $0, volume)) }
        }
        try #require(trashed, "volume \(volume) compacted and trashed on \(holders)")
        return Array(keys.dropFirst(doomed))
    }

    static func node(_ cluster: ClusterFile, _ id: Int) -> ClusterFile.Node {
        cluster.zones[0].nodes.first { $0.id == id }!
    }

    static func trashPath(_ cluster: ClusterFile, node: Int, _ volume: Int64) -> String {
        "\(Self.node(cluster, node).dataDirectory)/trash/v\(volume).g1.extent"
    }

    /// Flips one byte of `key`'s data in the extent at `path` (its record CRC then fails).
    static func flipDataByte(at path: String, of key: BlockKey) throws {
        let entry = try #require(try ExtentReader(path: path).footer()?.first { $0.key == key })
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        let at = entry.offset + UInt64(ExtentFormat.recordHeaderSize)
        try handle.seek(toOffset: at)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: at)
        try handle.write(contentsOf: [byte ^ 0x5A])
    }

    static func inspector(_ cluster: ClusterFile) throws -> Int32 {
        try spawnVerifier(cluster, "vigil-trash-inspector", [
            "--zone", "zone-a", "--database", cluster.zones[0].database, "--node-token-file", cluster.tokens.readerFile,
            "--work-dir", cluster.directory + "/inspector",
        ], log: "inspector")
    }

    /// (passed, failed) inspections recorded for one trash extent.
    static func inspections(_ db: PostgresConnection, node: Int, _ volume: Int64) async throws -> (passed: Int, failed: Int) {
        let rows = try await db.query("""
            SELECT count(*) FILTER (WHERE passed), count(*) FILTER (WHERE NOT passed) FROM trash_inspections
            WHERE node_id = $1 AND volume_id = $2
            """, [.int32(Int32(node)), .int64(volume)])
        return (try rows.int(0, 0), try rows.int(0, 1))
    }

    /// Every trash-inspector finding of `kind` ever recorded, open or resolved, as (subject, open).
    static func findings(_ db: PostgresConnection, kind: String = "trash_inspection_failed") async throws -> [(subject: String, open: Bool)] {
        let rows = try await db.query(
            "SELECT subject, resolved_at IS NULL FROM findings WHERE verifier = 'trash-inspector' AND kind = $1 ORDER BY id", [.text(kind)])
        return try (0..<rows.count).map { (rows.string($0, 0), try rows.bool($0, 1)) }
    }

    static func completedPasses(_ db: PostgresConnection) async throws -> Int {
        try await db.query("SELECT count(*) FROM passes WHERE verifier = 'trash-inspector' AND state = 'complete'").int(0, 0)
    }

    static func unlinks(_ db: PostgresConnection, _ volume: Int64) async throws -> Int {
        try await db.query("SELECT count(*) FROM extent_instructions WHERE kind = 'unlink' AND volume_id = $1", [.int64(volume)]).int(0, 0)
    }

    @Test("a copy present in memory but corrupt on disk, and a trash extent that does not parse, each fail: one finding per extent, never unlinked; clean GC trash passes and is unlinked",
          .timeLimit(.minutes(5)))
    func failsOnEvidence() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<250 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let sealed = try await index.volumes(inState: "sealed").map(\.id)
            try #require(sealed.count >= 2)

            // (1) Volume A is compacted; one survivor's copy in the new volume is
            // damaged on ONE of its replicas. Every node still answers "present".
            let (a, b) = (sealed[0], sealed[1])
            let survivorsA = try await Self.collect(cluster, a)
            let victim = try #require(survivorsA.first)
            let newVolume = try #require(try await index.lookup(victim)).volume
            #expect(newVolume != a)
            let corruptNode = try #require(try await index.replicas(of: newVolume).first).node.id
            try Self.flipDataByte(at: "\(Self.node(cluster, corruptNode).dataDirectory)/extents/v\(newVolume).g1.extent", of: victim)
            let presence = try await cluster.nodeClient(Self.node(cluster, corruptNode)).check([(key: victim, volume: UInt64(newVolume))])
            #expect(presence == [.present], "the damage is invisible to the in-memory presence check")

            // (2) Volume B is compacted; one of its trash extents has a damaged record
            // (of a deleted block: every key in it would pass on its own).
            let survivorsB = try await Self.collect(cluster, b)
            let holdersB = try await index.replicas(of: b).map(\.node.id)
            let damagedNode = holdersB[0]
            let damagedPath = Self.trashPath(cluster, node: damagedNode, b)
            let deletedInB = try #require(try ExtentReader(path: damagedPath).footer()?.map(\.key).first { !survivorsB.contains($0) })
            try Self.flipDataByte(at: damagedPath, of: deletedInB)

            let inspector = try Self.inspector(cluster)
            defer { killProcess(inspector) }

            let holdersA = try await index.replicas(of: a).map(\.node.id)
            let failing = Set(holdersA.map { "node/\($0)/trash/v\(a).g1.extent" } + ["node/\(damagedNode)/trash/v\(b).g1.extent"])
            #expect(try await eventually(timeout: .seconds(60)) {
                failing.isSubset(of: Set(try await Self.findings(db).filter(\.open).map(\.subject)))
            }, "every trash extent of A (its survivor has a corrupt copy) and B's damaged extent fail")

            // (4) Seen again and again, still one finding per extent, and nothing else fails.
            let passesBefore = try await Self.completedPasses(db)
            #expect(try await eventually(timeout: .seconds(60)) { try await Self.completedPasses(db) >= passesBefore + 3 })
            for node in holdersA {
                let (passed, failed) = try await Self.inspections(db, node: node, a)
                #expect(passed == 0 && failed >= 3, "node \(node): \(passed) passed, \(failed) failed inspections of v\(a)")
            }
            let all = try await Self.findings(db)
            #expect(all.count == failing.count && Set(all.map(\.subject)) == failing && all.allSatisfy(\.open),
                    "one open finding per failing extent: \(all)")
            let details = try await db.query("""
                SELECT details->>'failures', details->>'first_failures' FROM findings
                WHERE verifier = 'trash-inspector' AND subject = $1
                """, [.text("node/\(holdersA[0])/trash/v\(a).g1.extent")])
            #expect(details.string(0, 0) == "1")
            #expect(details.string(0, 1).contains(victim.hex), "the finding names the key: \(details.string(0, 1))")

            // Past the retention, the failing extents are still in trash and no unlink was ever recorded for A.
            for node in holdersA { #expect(FileManager.default.fileExists(atPath: Self.trashPath(cluster, node: node, a))) }
            #expect(FileManager.default.fileExists(atPath: damagedPath))
            #expect(try await Self.unlinks(db, a) == 0)

            // B's undamaged trash extents pass and are unlinked: GC raises no false alarm.
            #expect(await eventually(timeout: .seconds(60)) {
                holdersB.dropFirst().allSatisfy { !FileManager.default.fileExists(atPath: Self.trashPath(cluster, node: $0, b)) }
            }, "B's clean trash extents are unlinked")
            for node in holdersB.dropFirst() {
                #expect(try await Self.inspections(db, node: node, b).failed == 0)
            }
            #expect(try await Self.inspections(db, node: damagedNode, b).passed == 0)
            for key in survivorsB {
                guard case .found(let data) = try await frontend.get(key) else { Issue.record("survivor \(key) unreadable"); continue }
                #expect(BlockKey.of(data) == key)
            }
        }
    }

    @Test("a replica that does not answer is not judged: no pass, no failure, no finding, the extent stays; once back it is judged",
          .timeLimit(.minutes(5)))
    func waitsOnTheUnreachable() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<150 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let volume = try #require(try await index.volumes(inState: "sealed").first).id
            let survivors = try await Self.collect(cluster, volume)
            let holders = try await index.replicas(of: volume).map(\.node.id)
            let survivor = try #require(survivors.first)
            let newVolume = try #require(try await index.lookup(survivor)).volume

            // Stop one replica of the new volume: the survivors cannot be read back there.
            let down = try #require(try await index.replicas(of: newVolume).first).node
            let process = cluster.process(named: "zone-a/\(down.name)")
            await Processes.terminate(process.pid)
            let restartedPID = LockedValue<Int32?>(nil)
            defer { if let pid = restartedPID.value { killProcess(pid) } }

            let inspector = try Self.inspector(cluster)
            defer { killProcess(inspector) }
            // Two whole passes while it is down (each asks the silent node once a step and waits its 2 s timeout).
            #expect(try await eventually(timeout: .seconds(90)) { try await Self.completedPasses(db) >= 2 })
            for node in holders {
                let (passed, failed) = try await Self.inspections(db, node: node, volume)
                #expect(passed == 0 && failed == 0, "node \(node): nothing recorded while a replica is down (\(passed) passed, \(failed) failed)")
                if node != down.id { #expect(FileManager.default.fileExists(atPath: Self.trashPath(cluster, node: node, volume))) }
            }
            #expect(try await Self.findings(db).isEmpty, "unreachable is never a failure")
            #expect(try await Self.unlinks(db, volume) == 0)

            // Back: every trash extent of the volume is judged, passes, and is unlinked.
            var restarted = process
            try DevCluster.restart(&restarted)
            restartedPID.withLock { $0 = restarted.pid }
            #expect(try await eventually(timeout: .seconds(90)) {
                for node in holders where try await Self.inspections(db, node: node, volume).passed == 0 { return false }
                return true
            }, "judged once the replica answers")
            #expect(await eventually(timeout: .seconds(60)) {
                holders.allSatisfy { !FileManager.default.fileExists(atPath: Self.trashPath(cluster, node: $0, volume)) }
            }, "and unlinked after the retention")
            for node in holders { #expect(try await Self.inspections(db, node: node, volume).failed == 0) }
            #expect(try await Self.findings(db).isEmpty)
        }
    }
}

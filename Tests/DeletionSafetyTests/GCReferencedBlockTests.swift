import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

/// GC never destroys the zone's last copies of a block a live File Journal file
/// references: one deleted by key while another user's file shares it (dedupe), or
/// one whose index row was lost. Real daemons; the review's two repros.
@Suite("GC and blocks a live file references", .serialized)
struct GCReferencedBlockTests {
    static func inspector(_ cluster: ClusterFile, journal: Bool) throws -> Int32 {
        try spawnVerifier(cluster, "vigil-trash-inspector", [
            "--zone", "zone-a", "--database", cluster.zones[0].database, "--node-token-file", cluster.tokens.readerFile,
            "--work-dir", cluster.directory + "/inspector",
        ] + (journal ? ["--journal", cluster.journalDatabase] : []), log: "inspector")
    }

    /// A file of a user homed in zone-a whose only block is `key`.
    static func recordFile(_ cluster: ClusterFile, _ key: BlockKey, path: String) async throws {
        let journal = FileJournal(pool: PostgresPool(url: cluster.journalDatabase, size: 1))
        let user = try await journal.user(named: "user-0", creatingIn: ["zone-a"])
        _ = try await journal.recordFile(user: user.id, path: path, size: 1, keys: [key])
    }

    /// Where `volume`'s generation-1 extent is on each of its replicas' nodes now.
    static func extentFiles(_ cluster: ClusterFile, _ volume: Int64, nodes: [Int]) -> [String] {
        cluster.zones[0].nodes.filter { nodes.contains($0.id) }.flatMap { node in
            ["extents", "trash"].map { "\(node.dataDirectory)/\($0)/v\(volume).g1.extent" }
        }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// The bytes of `key` read from the extent file at `path`, verified (nil if it is not there intact).
    static func verifiedBlock(_ key: BlockKey, in path: String) throws -> [UInt8]? {
        let reader = try ExtentReader(path: path)
        guard let entry = try reader.footer()?.first(where: { $0.key == key }) else { return nil }
        let data = try reader.readBlock(key: key, at: entry.offset)
        return BlockKey.of(data) == key ? data : nil
    }

    static func openFindings(_ db: PostgresConnection, kind: String) async throws -> Set<String> {
        let rows = try await db.query(
            "SELECT subject FROM findings WHERE verifier = 'trash-inspector' AND kind = $1 AND resolved_at IS NULL", [.text(kind)])
        return Set((0..<rows.count).map { rows.string($0, 0) })
    }

    @Test("a block deleted by key while another user's file shares it, and a referenced block whose row was lost, stay in trash on every replica (critical findings); an unreferenced deleted volume, with a never-committed record, is still unlinked",
          .timeLimit(.minutes(6)))
    func referencedBlocksSurviveGC() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<200 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let sealed = try await index.volumes(inState: "sealed").map(\.id)
            try #require(sealed.count >= 2)
            let (shared, plain) = (sealed[0], sealed[1])
            let sharedNodes = try await index.replicas(of: shared).map(\.node.id)
            let plainNodes = try await index.replicas(of: plain).map(\.node.id)

            // D8: user-0's file dedupes onto `deduped`; D4: `lostRow` is referenced and its index row is lost.
            let sharedKeys = try await index.liveKeys(in: shared)
            let (deduped, lostRow) = (sharedKeys[0], sharedKeys[1])
            try await Self.recordFile(cluster, deduped, path: "/shared/deduped")
            try await Self.recordFile(cluster, lostRow, path: "/shared/lost-row")
            try await db.query("DELETE FROM blocks WHERE key = $1", [.bytea(lostRow.bytes)])
            // In `plain`, one record no file references loses its row: a never-committed write to the inspector.
            let plainKeys = try await index.liveKeys(in: plain)
            try await db.query("DELETE FROM blocks WHERE key = $1", [.bytea(plainKeys[0].bytes)])

            let inspector = try Self.inspector(cluster, journal: true)
            defer { killProcess(inspector) }
            // The first owner deletes every block of `shared` (the shared one too), and 2/3 of `plain`.
            for key in sharedKeys where key != lostRow { try await frontend.delete(key) }
            let deletedPlain = plainKeys.dropFirst().prefix(plainKeys.count * 2 / 3)
            for key in deletedPlain { try await frontend.delete(key) }

            // Ordinary GC completes: `plain`'s extents leave every node (past the 5 s retention).
            #expect(await eventually(timeout: .seconds(120)) { Self.extentFiles(cluster, plain, nodes: plainNodes).isEmpty },
                    "the unreferenced volume's trash is unlinked: \(Self.extentFiles(cluster, plain, nodes: plainNodes))")
            for key in plainKeys.dropFirst(deletedPlain.count + 1) {
                guard case .found(let data) = try await frontend.get(key) else { Issue.record("survivor \(key) unreadable"); continue }
                #expect(BlockKey.of(data) == key)
            }

            // `shared` went to trash on each replica, and each copy fails inspection with both findings.
            let subjects = sharedNodes.map { "node/\($0)/trash/v\(shared).g1.extent" }
            #expect(try await eventually(timeout: .seconds(60)) {
                let deletedWhile = try await Self.openFindings(db, kind: "deleted_while_referenced")
                let unindexed = try await Self.openFindings(db, kind: "unindexed_record")
                return subjects.allSatisfy { deletedWhile.contains($0 + "/deleted_while_referenced") && unindexed.contains($0 + "/unindexed_record") }
            }, "deleted_while_referenced and unindexed_record for every trash copy")
            #expect(try await Self.openFindings(db, kind: "trash_inspection_failed").isSuperset(of: subjects))
            // Well past the retention, every copy is still in trash, nothing unlinked, both blocks intact in each.
            try await Task.sleep(for: .seconds(8))
            let left = Self.extentFiles(cluster, shared, nodes: sharedNodes)
            #expect(left.count == sharedNodes.count && left.allSatisfy { $0.contains("/trash/") }, "\(left)")
            #expect(try await db.query("SELECT 1 FROM extent_instructions WHERE kind = 'unlink' AND volume_id = $1", [.int64(shared)]).count == 0)
            for path in left {
                #expect(try Self.verifiedBlock(deduped, in: path) != nil, "the shared block is intact in \(path)")
                #expect(try Self.verifiedBlock(lostRow, in: path) != nil, "the block whose row was lost is intact in \(path)")
            }
        }
    }
}

import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

/// The master's hold on unlinks: a trash extent whose inspection passed is not
/// unlinked while an open `missing_in_zone` finding names a block its node holds
/// only in that volume's trash; resolving the finding lets GC finish.
@Suite("Unlink held while a block is missing in the zone", .serialized)
struct UnlinkHoldTests {
    typealias GC = GCReferencedBlockTests

    @Test("an inspected trash extent holding a block an open missing_in_zone names stays until the finding is resolved, then is unlinked",
          .timeLimit(.minutes(5)))
    func missingInZoneHoldsUnlink() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<120 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let journal = try await PostgresConnection.connect(url: cluster.journalDatabase)
            let volume = try #require(try await index.volumes(inState: "sealed").first).id
            let nodes = try await index.replicas(of: volume).map(\.node.id)
            let keys = try await index.liveKeys(in: volume)
            // What the cross-zone verifier reports once a file's block is deleted in the zone.
            let finding = try await journal.query("""
                INSERT INTO findings (verifier, kind, subject, severity, scope, details)
                VALUES ('cross-zone-verifier', 'missing_in_zone', $1, 'critical', 'global', $2::jsonb) RETURNING id
                """, [.text("zone/zone-a/block/\(keys[0].hex)/file/1"), .text(#"{"zone": "zone-a", "key": "\#(keys[0].hex)", "file": "1"}"#)]).int64(0, 0)

            // Judged from the index alone (no --journal): every block deleted, so the inspection passes.
            let inspector = try GC.inspector(cluster, journal: false)
            defer { killProcess(inspector) }
            for key in keys { try await frontend.delete(key) }
            #expect(try await eventually(timeout: .seconds(60)) {
                try await db.query("SELECT DISTINCT node_id FROM trash_inspections WHERE volume_id = $1 AND passed", [.int64(volume)]).count == nodes.count
            }, "every trash copy passed inspection")
            // Past the 5 s retention the master still holds every copy.
            try await Task.sleep(for: .seconds(8))
            let held = GC.extentFiles(cluster, volume, nodes: nodes)
            #expect(held.count == nodes.count && held.allSatisfy { $0.contains("/trash/") }, "\(held)")
            #expect(try await db.query("SELECT 1 FROM extent_instructions WHERE kind = 'unlink' AND volume_id = $1", [.int64(volume)]).count == 0)
            for path in held { #expect(try GC.verifiedBlock(keys[0], in: path) != nil, "the block is intact in \(path)") }

            // Resolved (the zone repaired or the file gone): the hold lifts and GC finishes.
            try await journal.query(
                "UPDATE findings SET resolved_at = now(), resolution = 'by hand: test' WHERE id = $1", [.int64(finding)])
            #expect(await eventually(timeout: .seconds(60)) { GC.extentFiles(cluster, volume, nodes: nodes).isEmpty },
                    "unlinked once nothing names its blocks missing")
        }
    }

    @Test("a trash inspector whose File Journal does not answer passes no extent holding deleted blocks: nothing is unlinked",
          .timeLimit(.minutes(4)))
    func unreachableJournalPassesNothing() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<120 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let volume = try #require(try await index.volumes(inState: "sealed").first).id
            let nodes = try await index.replicas(of: volume).map(\.node.id)
            let port = try freeLoopbackPort()  // nothing listens there
            let inspector = try spawnVerifier(cluster, "vigil-trash-inspector", [
                "--zone", "zone-a", "--database", cluster.zones[0].database, "--node-token-file", cluster.tokens.readerFile,
                "--work-dir", cluster.directory + "/inspector", "--journal", "postgresql://vigil@127.0.0.1:\(port)/journal?connect_timeout=1",
            ], log: "inspector")
            defer { killProcess(inspector) }
            for key in try await index.liveKeys(in: volume) { try await frontend.delete(key) }
            #expect(await eventually(timeout: .seconds(60)) {
                let files = GC.extentFiles(cluster, volume, nodes: nodes)
                return files.count == nodes.count && files.allSatisfy { $0.contains("/trash/") }
            }, "the deleted volume went to trash on every replica")
            try await Task.sleep(for: .seconds(10))  // two retentions, many inspector passes
            #expect(GC.extentFiles(cluster, volume, nodes: nodes).count == nodes.count, "nothing unlinked")
            #expect(try await db.query("SELECT 1 FROM trash_inspections WHERE volume_id = $1 AND passed", [.int64(volume)]).count == 0)
        }
    }
}

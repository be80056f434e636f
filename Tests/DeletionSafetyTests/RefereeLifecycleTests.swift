import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

/// One finding per condition, open while it lasts: a hand-made trash extent is
/// one finding across every reconcile, resolved only once it is justified.
@Suite("Extent referee: one finding per condition", .serialized)
struct RefereeLifecycleTests {
    @Test("a hand-made trash extent is one unjustified_trash finding that stays open across reconciles, resolved once justified", .timeLimit(.minutes(4)))
    func handMadeTrashIsOneOpenFinding() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10, verifiers: true) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<100 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let volume = try #require(try await index.volumes(inState: "sealed").first).id
            let replica = try await index.replicas(of: volume)[0]
            let node = cluster.zones[0].nodes.first { $0.id == replica.node.id }!
            let name = "v\(volume).g1.extent"
            // A copy dropped into trash/ by hand: the live extent stays where it is.
            try FileManager.default.copyItem(atPath: "\(node.dataDirectory)/extents/\(name)", toPath: "\(node.dataDirectory)/trash/\(name)")
            let subject = "node/\(node.id)/\(name)"
            func rows() async throws -> (all: Int64, open: Int64) {
                let r = try await db.query("""
                    SELECT count(*), count(*) FILTER (WHERE resolved_at IS NULL) FROM findings
                    WHERE verifier = 'extent-referee' AND kind = 'unjustified_trash' AND subject = $1
                    """, [.text(subject)])
                return (try r.int64(0, 0), try r.int64(0, 1))
            }
            #expect(try await eventually(timeout: .seconds(30), interval: .milliseconds(200)) { try await rows().open == 1 })
            // Several reconciles later: still the same single open finding.
            let scope = "zone-a/node-\(node.id)"
            let reconciles = try await db.query(
                "SELECT count(*) FROM passes WHERE verifier = 'extent-referee' AND scope = $1 AND state = 'complete'", [.text(scope)]).int64(0, 0)
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                try await db.query(
                    "SELECT count(*) FROM passes WHERE verifier = 'extent-referee' AND scope = $1 AND state = 'complete'", [.text(scope)]
                ).int64(0, 0) >= reconciles + 3
            }, "the referee did not reconcile three more times")
            let after = try await rows()
            #expect(after.all == 1 && after.open == 1, "one open finding for the condition, got \(after.all) rows, \(after.open) open")
            // Justified (a recorded delete instruction): resolved at the next reconcile.
            _ = try await index.recordInstruction(kind: "trash", node: node.id, volume: volume, generation: 1, reason: "test: justified after the fact")
            #expect(try await eventually(timeout: .seconds(30), interval: .milliseconds(200)) { try await rows().open == 0 })
            #expect(try await rows().all == 1)
        }
    }
}

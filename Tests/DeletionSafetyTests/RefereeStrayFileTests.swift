import Foundation
import Testing
import VigilCore
import VigilDev
import VigilPostgres
import VigilTestSupport
@testable import VigilExtentReferee

/// A file in extents/ or trash/ that is no extent name (`v04.g1.extent`, a
/// script's copy, a backup) is judged by no other verifier and served by no
/// store path: the referee's reconcile reports it while it is there, and the
/// node's own staging files of an install in progress are not stray.
@Suite("Extent referee: stray files", .serialized)
struct RefereeStrayFileTests {
    @Test("a non-canonical extent name and a backup are one open unexpected_file each across reconciles, resolved once gone; a staging file and a fresh temporary are nothing",
          .timeLimit(.minutes(3)))
    func strayFilesAreReported() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let node = cluster.zones[0].nodes[0]
            let referee = RefereeJustificationTests.referee(cluster, node)
            func open() async throws -> [String] {
                let rows = try await db.query("""
                    SELECT subject FROM findings WHERE verifier = 'extent-referee' AND kind = 'unexpected_file' AND resolved_at IS NULL ORDER BY subject
                    """)
                return (0..<rows.count).map { rows.string($0, 0) }
            }
            let alias = "\(node.dataDirectory)/extents/v04.g1.extent"
            FileManager.default.createFile(atPath: alias, contents: Data(repeating: 7, count: 4096))
            FileManager.default.createFile(atPath: "\(node.dataDirectory)/trash/backup.tar", contents: Data([1]))
            FileManager.default.createFile(atPath: "\(node.dataDirectory)/extents/v9.g1.extent.incoming-5F3A", contents: Data([2]))
            let old = Date(timeIntervalSinceNow: -60)
            for file in ["extents/v04.g1.extent", "trash/backup.tar", "extents/v9.g1.extent.incoming-5F3A"] {
                try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: "\(node.dataDirectory)/\(file)")
            }
            // A fresh one may be a rename in flight (an atomic write's temporary): not judged yet.
            FileManager.default.createFile(atPath: "\(node.dataDirectory)/extents/.v3.g1.extent.tmp", contents: Data([3]))
            try await referee.reconcile()
            try await referee.reconcile()
            let subjects = ["node/\(node.id)/extents/v04.g1.extent", "node/\(node.id)/trash/backup.tar"]
            #expect(try await open() == subjects, "one finding each, open across reconciles; the staging file is not stray")
            let rows = try await db.query("SELECT count(*) FROM findings WHERE kind = 'unexpected_file' AND severity = 'error'").int64(0, 0)
            #expect(rows == 2, "seen twice, still one finding each, of severity error")

            try FileManager.default.removeItem(atPath: alias)
            try await referee.reconcile()
            #expect(try await open() == [subjects[1]], "the alias gone: its finding resolves; the backup's stays open")
        }
    }
}

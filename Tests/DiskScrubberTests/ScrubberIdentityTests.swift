import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

/// Damage that passes every checksum: valid bytes under the wrong name. And one
/// finding per condition, however many records it touches.
@Suite("Disk scrubber: identity and one finding per condition", .serialized)
struct ScrubberIdentityTests {
    /// The node's extent of `volume` where the index places it (a repair installs a new generation).
    static func currentPath(_ index: BlockIndex, node: ClusterFile.Node, volume: Int64) async throws -> String {
        let generation = try await index.replicas(of: volume).first { $0.node.id == node.id }?.generation ?? 1
        return "\(node.dataDirectory)/extents/\(ExtentName(volume: UInt64(volume), generation: UInt32(generation)))"
    }

    static func header(_ path: String) -> ExtentHeader? {
        (try? ExtentReader(path: path).header()) ?? nil
    }

    static func openFindings(_ db: PostgresConnection, subject: String) async throws -> [(kind: String, count: String)] {
        let rows = try await db.query(
            "SELECT kind, coalesce(details->>'count', '') FROM findings WHERE verifier = 'disk-scrubber' AND subject = $1 AND resolved_at IS NULL",
            [.text(subject)])
        return (0..<rows.count).map { (rows.string($0, 0), rows.string($0, 1)) }
    }

    @Test("swapped extents and an extent overwritten with another volume's valid bytes are found, stay open while wrong, and are resolved only once the file at that name is right", .timeLimit(.minutes(6)))
    func wrongBytesUnderAName() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10, verifiers: true) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<300 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            // Two sealed volumes with a replica on the same node: swap their files by rename.
            let sealed = try await index.volumes(inState: "sealed")
            var pair: (Int64, Int64, ClusterFile.Node)?
            search: for a in sealed {
                for b in sealed where b.id > a.id {
                    let nodesA = Set(try await index.replicas(of: a.id).map(\.node.id))
                    if let shared = try await index.replicas(of: b.id).map(\.node.id).first(where: nodesA.contains) {
                        pair = (a.id, b.id, cluster.zones[0].nodes.first { $0.id == shared }!)
                        break search
                    }
                }
            }
            let (a, b, node) = try #require(pair, "no two sealed volumes share a node")
            let pathA = "\(node.dataDirectory)/extents/v\(a).g1.extent", pathB = "\(node.dataDirectory)/extents/v\(b).g1.extent"
            // The master stays down until the damage is seen: a read that trips on
            // it (the watcher's) would otherwise have it repaired before any sweep.
            var master = cluster.process(named: "zone-a/master")
            await Processes.terminate(master.pid)
            let swap = "\(node.dataDirectory)/swap.tmp"
            try FileManager.default.moveItem(atPath: pathA, toPath: swap)
            try FileManager.default.moveItem(atPath: pathB, toPath: pathA)
            try FileManager.default.moveItem(atPath: swap, toPath: pathB)
            #expect(try ExtentReader(path: pathA).scan().isClean, "the swapped file passes every checksum")

            let subjects = ["node/\(node.id)/extents/v\(a).g1.extent": (pathA, UInt64(a)), "node/\(node.id)/extents/v\(b).g1.extent": (pathB, UInt64(b))]
            // Found by the scrubber as identity damage.
            for subject in subjects.keys {
                #expect(try await eventually(timeout: .seconds(90), interval: .milliseconds(200)) {
                    try await db.query(
                        "SELECT 1 FROM findings WHERE verifier = 'disk-scrubber' AND kind = 'extent_identity' AND subject = $1", [.text(subject)]
                    ).count > 0
                }, "no extent_identity finding for \(subject)")
            }
            try DevCluster.restart(&master)
            // The extent referee saw the renames too.
            for (_, (path, volume)) in subjects {
                let subject = "node/\(node.id)/v\(volume).g1.extent"
                #expect(try await eventually(timeout: .seconds(30), interval: .milliseconds(200)) {
                    try await db.query("SELECT 1 FROM findings WHERE verifier = 'extent-referee' AND subject = $1", [.text(subject)]).count > 0
                }, "the referee did not report the rename of \(path)")
            }
            // Never resolved, by either verifier, while the file at that name is
            // another volume's; resolved once repaired.
            var resolvedWhileWrong: [String] = []
            #expect(try await eventually(timeout: .seconds(120), interval: .milliseconds(100)) {
                var allResolved = true
                for (subject, (path, volume)) in subjects {
                    let open = try await db.query("""
                        SELECT 1 FROM findings WHERE resolved_at IS NULL AND ((verifier = 'disk-scrubber' AND kind = 'extent_identity' AND subject = $1)
                                                                          OR (verifier = 'extent-referee' AND subject = $2))
                        """, [.text(subject), .text("node/\(node.id)/v\(volume).g1.extent")]).count > 0
                    if open { allResolved = false; continue }
                    if let header = Self.header(path), header.volume != volume { resolvedWhileWrong.append(subject) }
                }
                return allResolved
            }, "identity findings never resolved (no repair?)")
            #expect(resolvedWhileWrong.isEmpty, "resolved while the file was still wrong: \(resolvedWhileWrong)")
            for (_, volume) in subjects.values {
                // Repaired under a new generation (the wrong file went to trash by instruction).
                let path = try await Self.currentPath(cluster.index, node: node, volume: Int64(volume))
                #expect(Self.header(path)?.volume == volume, "\(path) was not repaired")
            }
        }
    }

    @Test("an extent with every record damaged is one finding per kind of damage, counting the records, open until repaired", .timeLimit(.minutes(5)))
    func oneFindingPerCondition() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10, verifiers: true) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<200 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let volume = try #require(try await index.volumes(inState: "sealed").first).id
            let replica = try await index.replicas(of: volume)[0]
            let node = cluster.zones[0].nodes.first { $0.id == replica.node.id }!
            let path = "\(node.dataDirectory)/extents/v\(volume).g1.extent"
            let entries = try #require(try ExtentReader(path: path).footer())
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            for entry in entries { bytes[Int(entry.offset) + ExtentFormat.recordHeaderSize + Int(entry.length) / 2] ^= 0x40 }
            try Data(bytes).write(to: URL(fileURLWithPath: path))

            let subject = "node/\(node.id)/extents/v\(volume).g1.extent"
            var seen: [(kind: String, count: String)] = []
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(100)) {
                seen = try await Self.openFindings(db, subject: subject)
                return !seen.isEmpty
            }, "no finding for the damaged extent")
            #expect(seen.count == 1 && seen[0].kind == "data_crc", "one data_crc finding, not one per record: \(seen)")
            #expect(seen.first?.count == "\(entries.count)", "the finding counts the \(entries.count) damaged records: \(seen)")
            // Repaired, then resolved; never more than one row for the condition.
            #expect(try await eventually(timeout: .seconds(90), interval: .milliseconds(200)) {
                try await Self.openFindings(db, subject: subject).isEmpty
            }, "finding never resolved")
            let rows = try await db.query(
                "SELECT count(*) FROM findings WHERE verifier = 'disk-scrubber' AND subject = $1", [.text(subject)]).int64(0, 0)
            #expect(rows == 1, "the fault made \(rows) finding rows")
            #expect(try ExtentReader(path: try await Self.currentPath(index, node: node, volume: volume)).scan().isClean)
        }
    }
}

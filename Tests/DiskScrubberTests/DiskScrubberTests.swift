import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres
import VigilTestSupport

@Suite("Disk scrubber", .serialized, .timeLimit(.minutes(6)))
struct DiskScrubberTests {
    @Test("each corruption is found with the right kind, repaired from a clean replica, and the next sweep is clean")
    func corruptionsAreFoundRepairedAndResolved() async throws {
        try await withTestCluster(verifiers: true) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<700 { _ = try await frontend.put(randomBlock(512...4096)) }
            let index = cluster.index
            let sealed = try await index.volumes(inState: "sealed")
            #expect(sealed.count >= Corruption.allCases.count)

            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            for (corruption, volume) in zip(Corruption.allCases, sealed) {
                let replica = try await index.replicas(of: volume.id).randomElement()!
                let node = cluster.zones[0].nodes.first { $0.id == replica.node.id }!
                let name = ExtentName(volume: UInt64(volume.id), generation: 1)
                let path = "\(node.dataDirectory)/extents/\(name)"
                let target = Target(volume: volume.id, node: node, path: path, entries: try ExtentReader(path: path).footer()!)
                try corruption.apply(to: target)
                let subject = "node/\(node.id)/extents/\(name)"

                // Found, with the right kind.
                #expect(try await eventually(timeout: .seconds(60)) {
                    try await db.query("""
                        SELECT 1 FROM findings WHERE verifier = 'disk-scrubber' AND kind = $1 AND starts_with(subject, $2)
                        """, [.text(corruption.expectedKind), .text(subject)]).count > 0
                }, "\(corruption): no \(corruption.expectedKind) finding")
                // Repaired by the master from a clean replica…
                #expect(try await eventually(timeout: .seconds(60)) {
                    try await db.query(
                        "SELECT 1 FROM repair_queue WHERE volume_id = $1 AND node_id = $2 AND state = 'done'",
                        [.int64(volume.id), .int32(Int32(node.id))]).count > 0
                }, "\(corruption): not repaired")
                // …and the next scan of the extent is clean: the findings are resolved.
                #expect(try await eventually(timeout: .seconds(60)) {
                    try await db.query(
                        "SELECT 1 FROM findings WHERE starts_with(subject, $1) AND resolved_at IS NULL", [.text(subject)]).count == 0
                }, "\(corruption): findings not resolved")
                // The repaired copy (a new generation: the bad one went to trash by instruction).
                let generation = try await index.replicas(of: volume.id).first { $0.node.id == node.id }!.generation
                let report = try ExtentReader(path: "\(node.dataDirectory)/extents/\(ExtentName(volume: UInt64(volume.id), generation: UInt32(generation)))").scan()
                #expect(report.isClean, "\(corruption): \(report.problems)")
            }
            // Nothing else was reported: no finding on an extent we did not damage.
            let stray = try await db.query("SELECT subject, kind FROM findings WHERE verifier = 'disk-scrubber'")
            #expect(stray.count >= Corruption.allCases.count)
            #expect(stray.count <= Corruption.allCases.count * 3, "findings stay on the damaged extents")
        }
    }

    @Test("a scrubber killed with kill -9 mid-sweep resumes its pass from the cursor")
    func killedScrubberResumes() async throws {
        try await withTestCluster(nodes: 3, volumeTargetBytes: 512 << 10) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<300 { _ = try await frontend.put(randomBlock(8192...16384)) }
            let node = cluster.zones[0].nodes[0]
            let extents = try FileManager.default.contentsOfDirectory(atPath: node.dataDirectory + "/extents").count
            #expect(extents >= 4)

            // A slow scrubber (1 MB/s) so that the pass is still running when it is killed.
            let port = try freeLoopbackPort()
            let arguments = [
                "\(Processes.executableDirectory)/vigil-disk-scrubber", "--zone", "zone-a", "--node-id", "\(node.id)",
                "--data-dir", node.dataDirectory, "--database", cluster.zones[0].database, "--profile", "dev",
                "--rate-mb", "1", "--port", "\(port)",
            ]
            let log = cluster.directory + "/logs/test-scrubber.log"
            let first = try Processes.spawn(arguments, log: log)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            var passID: Int64 = 0
            #expect(try await eventually(timeout: .seconds(60)) {
                let rows = try await db.query("SELECT pass_id, position FROM cursors WHERE verifier = 'disk-scrubber' AND scope = 'zone-a/node-1'")
                guard rows.count == 1, !rows.bytes(0, 1).isEmpty else { return false }
                passID = try rows.int64(0, 0)
                return true
            })
            kill(first, SIGKILL)
            Processes.reap(first)

            let second = try Processes.spawn(arguments, log: log)
            defer { kill(second, SIGKILL); Processes.reap(second) }
            #expect(try await eventually(timeout: .seconds(120)) {
                try await db.query("SELECT 1 FROM passes WHERE id = $1 AND state = 'complete'", [.int64(passID)]).count == 1
            }, "the pass that was running when the scrubber died completes")
            let pass = try await db.query("SELECT items_checked FROM passes WHERE id = $1", [.int64(passID)])
            #expect(try pass.int(0, 0) == extents, "every extent counted exactly once across the restart")
            let abandoned = try await db.query("SELECT count(*) FROM passes WHERE scope = 'zone-a/node-1' AND state = 'abandoned'")
            #expect(try abandoned.int(0, 0) == 0, "the pass was resumed, not restarted")
            let resumedLog = try String(contentsOfFile: log, encoding: .utf8)
            #expect(resumedLog.contains("resuming pass"))
        }
    }
}

import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres
import VigilTestSupport

/// Nothing on a node replaces an extent: an admin install over a live one is
/// refused, an install nobody recorded is a referee finding, and the master's
/// repair trashes the bad copy by instruction before it installs a new generation.
@Suite("Install over live", .serialized)
struct InstallOverLiveTests {
    static func referee(_ cluster: ClusterFile, node: ClusterFile.Node) throws -> Int32 {
        try spawnVerifier(cluster, "vigil-extent-referee", [
            "--zone", "zone-a", "--node-id", "\(node.id)", "--data-dir", node.dataDirectory, "--database", cluster.zones[0].database,
        ], log: "referee-\(node.id)")
    }

    /// A sealed extent of `volume` holding `blocks`, written in a fresh directory.
    static func extent(volume: Int64, generation: UInt32 = 1, blocks: [[UInt8]]) throws -> String {
        let path = try makeTemporaryDirectory("vigil-install").appendingPathComponent("\(ExtentName(volume: UInt64(volume), generation: generation))").path
        let writer = try ExtentWriter.create(path: path, header: ExtentHeader(volume: UInt64(volume), generation: generation, createdAtMicros: 1))
        for data in blocks { try writer.append(key: .of(data), data: data, writtenAtMicros: 1) }
        try writer.seal()
        return path
    }

    static func openReferee(_ db: PostgresConnection, kind: String? = nil) async throws -> [String] {
        let rows = try await db.query("""
            SELECT kind || ' ' || subject FROM findings WHERE verifier = 'extent-referee' AND resolved_at IS NULL AND ($1 = '' OR kind = $1)
            """, [.text(kind ?? "")])
        return (0..<rows.count).map { rows.string($0, 0) }
    }

    @Test("an admin PUT of an empty or other-generation extent over a live one is refused (409) and every block still reads", .timeLimit(.minutes(4)))
    func installOverLiveIsRefused() async throws {
        try await withTestCluster { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            var keys: [BlockKey] = []
            for _ in 0..<200 { keys.append(BlockKey(hex: try await frontend.put(randomBlock(1...2048)).key)!) }
            let index = cluster.index
            let volume = try await index.lookup(keys[0])!.volume
            let inVolume = try await index.liveKeys(in: volume)
            let holder = try await index.replicas(of: volume)[0].node
            let node = cluster.zones[0].nodes.first { $0.id == holder.id }!
            let admin = cluster.nodeClient(node, admin: true)
            for generation: UInt32 in [1, 2] {
                let empty = try Self.extent(volume: volume, generation: generation, blocks: [])
                let error = await #expect(throws: NodeClientError.self) {
                    try await admin.installExtent(ExtentName(volume: UInt64(volume), generation: generation), from: empty)
                }
                #expect(error?.kind == .status(409) && error?.code == "extent_live", "generation \(generation): \(String(describing: error))")
            }
            let files = try FileManager.default.contentsOfDirectory(atPath: "\(node.dataDirectory)/extents").filter { $0.hasPrefix("v\(volume).") }
            #expect(files == ["\(ExtentName(volume: UInt64(volume), generation: 1))"], "nothing added beside the live extent: \(files)")
            let present = try await admin.check(inVolume.map { (key: $0, volume: UInt64(volume)) })
            #expect(present.allSatisfy { $0 == .present })
            for key in inVolume {
                #expect(BlockKey.of(try await admin.get(volume: UInt64(volume), key: key)) == key)
            }
        }
    }

    @Test("an install with no recorded instruction is an unjustified_install finding; a recorded one is none", .timeLimit(.minutes(4)))
    func unrecordedInstallIsAFinding() async throws {
        try await withTestCluster { (cluster: ClusterFile) async throws in
            let node = cluster.zones[0].nodes[0]
            let referee = try Self.referee(cluster, node: node)
            defer { killProcess(referee) }
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            #expect(try await eventually(timeout: .seconds(30)) {
                try await db.query("SELECT 1 FROM passes WHERE verifier = 'extent-referee' AND state = 'complete'").count > 0
            }, "the referee reconciled once")
            let admin = cluster.nodeClient(node, admin: true)
            let rogue = try await db.query("SELECT nextval('volume_ids')::int8").int64(0, 0)
            let recorded = try await db.query("SELECT nextval('volume_ids')::int8").int64(0, 0)
            _ = try await cluster.index.recordInstall(node: node.id, volume: recorded, generation: 1, reason: "test: a recorded install")
            try await admin.installExtent(ExtentName(volume: UInt64(recorded), generation: 1), from: try Self.extent(volume: recorded, blocks: [[1, 2, 3]]))
            try await admin.installExtent(ExtentName(volume: UInt64(rogue), generation: 1), from: try Self.extent(volume: rogue, blocks: [[4, 5, 6]]))
            let subject = "unjustified_install node/\(node.id)/v\(rogue).g1.extent"
            #expect(try await eventually(timeout: .seconds(30)) { try await Self.openReferee(db).contains(subject) }, "the rogue install is reported")
            // Several reconciles later it is still open, and the recorded install never was a finding.
            let passes = try await db.query("SELECT count(*)::int8 FROM passes WHERE verifier = 'extent-referee'").int(0, 0)
            #expect(try await eventually(timeout: .seconds(30)) {
                try await db.query("SELECT count(*)::int8 FROM passes WHERE verifier = 'extent-referee' AND state = 'complete'").int(0, 0) >= passes + 2
            })
            #expect(try await Self.openReferee(db) == [subject])
            let ever = try await db.query("SELECT 1 FROM findings WHERE subject = $1", [.text("node/\(node.id)/v\(recorded).g1.extent")])
            #expect(ever.count == 0, "a recorded install is justified")
        }
    }

    @Test("the master's repair of a corrupted extent trashes the bad copy by instruction, installs a new generation, no referee finding", .timeLimit(.minutes(6)))
    func repairTrashesTheBadCopy() async throws {
        try await withTestCluster { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<300 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let volume = try #require(try await index.volumes(inState: "sealed").first).id
            let inVolume = try await index.liveKeys(in: volume)
            let holder = try await index.replicas(of: volume)[1].node
            let node = cluster.zones[0].nodes.first { $0.id == holder.id }!
            let referee = try Self.referee(cluster, node: node)
            defer { killProcess(referee) }
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            #expect(try await eventually(timeout: .seconds(30)) {
                try await db.query("SELECT 1 FROM passes WHERE verifier = 'extent-referee' AND state = 'complete'").count > 0
            })

            // A bit flip in the first record's data, as a disk returning bad bytes would.
            let old = ExtentName(volume: UInt64(volume), generation: 1)
            let path = "\(node.dataDirectory)/extents/\(old)"
            try flipFirstRecordDataBit(at: path)

            try await index.requestRebuild(volume: volume, node: node.id, reason: "test: bit flip")
            #expect(try await eventually(timeout: .seconds(60)) { try await index.repairCounts()["done", default: 0] >= 1 }, "repaired")
            let instructions = try await db.query("""
                SELECT kind, generation, executed_at IS NOT NULL FROM extent_instructions WHERE node_id = $1 AND volume_id = $2 ORDER BY id
                """, [.int32(Int32(node.id)), .int64(volume)])
            let recorded = try (0..<instructions.count).map { "\(instructions.string($0, 0)) g\(try instructions.int($0, 1)) \(try instructions.bool($0, 2))" }
            #expect(recorded == ["trash g1 true", "install g2 true"], "\(recorded)")
            #expect(FileManager.default.fileExists(atPath: "\(node.dataDirectory)/trash/\(old)"), "the bad copy is in trash")
            let new = "\(node.dataDirectory)/extents/\(ExtentName(volume: UInt64(volume), generation: 2))"
            #expect(try ExtentReader(path: new).scan().isClean)
            #expect(try await index.replicas(of: volume).first { $0.node.id == node.id }.map { "\($0.state) \($0.generation)" } == "live 2")
            let admin = cluster.nodeClient(node, admin: true)
            for key in inVolume { #expect(BlockKey.of(try await admin.get(volume: UInt64(volume), key: key)) == key) }
            // Two reconciles after the repair: the referee judged the trash and the install, and found nothing.
            let passes = try await db.query("SELECT count(*)::int8 FROM passes WHERE verifier = 'extent-referee'").int(0, 0)
            #expect(try await eventually(timeout: .seconds(30)) {
                try await db.query("SELECT count(*)::int8 FROM passes WHERE verifier = 'extent-referee' AND state = 'complete'").int(0, 0) >= passes + 2
            })
            let ever = try await db.query("SELECT kind || ' ' || subject || ' ' || details::text FROM findings WHERE verifier = 'extent-referee'")
            #expect(ever.count == 0, "\((0..<ever.count).map { ever.string($0, 0) })")

            // The discarded copy is known bad: the scrubber does not report it again
            // in trash, the inspector passes it (every block of its volume is verified
            // elsewhere) and the master unlinks it, all without a finding.
            let inspector = try spawnVerifier(cluster, "vigil-trash-inspector", [
                "--zone", "zone-a", "--database", cluster.zones[0].database, "--node-token-file", cluster.tokens.readerFile,
                "--work-dir", cluster.directory + "/inspector",
            ], log: "inspector")
            defer { killProcess(inspector) }
            let scrubber = try spawnVerifier(cluster, "vigil-disk-scrubber", [
                "--zone", "zone-a", "--node-id", "\(node.id)", "--data-dir", node.dataDirectory, "--database", cluster.zones[0].database,
            ], log: "scrubber-\(node.id)")
            defer { killProcess(scrubber) }
            #expect(try await eventually(timeout: .seconds(60)) {
                try await db.query("""
                    SELECT 1 FROM trash_inspections WHERE node_id = $1 AND volume_id = $2 AND generation = 1 AND passed
                    """, [.int32(Int32(node.id)), .int64(volume)]).count > 0
            }, "the inspector passes the copy a repair replaced")
            #expect(try await eventually(timeout: .seconds(60)) { !FileManager.default.fileExists(atPath: "\(node.dataDirectory)/trash/\(old)") },
                    "the master unlinks it after the passed inspection")
            #expect(try await eventually(timeout: .seconds(30)) {
                try await db.query("SELECT 1 FROM passes WHERE verifier = 'disk-scrubber' AND state = 'complete'").count > 0
            })
            let open = try await db.query("""
                SELECT verifier || ' ' || kind || ' ' || subject FROM findings
                WHERE resolved_at IS NULL AND verifier IN ('disk-scrubber', 'trash-inspector', 'extent-referee')
                """)
            #expect(open.count == 0, "\((0..<open.count).map { open.string($0, 0) })")
        }
    }
}

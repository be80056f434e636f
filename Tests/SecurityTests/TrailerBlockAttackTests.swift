import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres
import VigilTestSupport

/// The attack "No client byte is structure" rules out: a 64-byte block whose
/// last 32 bytes are a valid version-1 extent trailer (magic, version, CRC),
/// written last into an open volume. Before extent format v2 every scrubber
/// reported `footer_corrupt` on all three replicas, queued repairs and blocked
/// the gate, and a restarted node indexed none of the volume's blocks.
@Suite("Trailer-shaped block attack", .serialized)
struct TrailerBlockAttackTests {
    /// 32 bytes of noise, then a version-1 trailer ("no entries") whose CRC holds.
    static func trailerShapedBlock() -> [UInt8] {
        func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        var trailer = le(UInt32(0x5446_4756)) + le(UInt16(1)) + le(UInt16(32)) + le(UInt64(64)) + le(UInt64(0)) + le(UInt32(0))
        trailer += le(CRC32C.checksum(trailer))
        return randomBlock(32...32) + trailer
    }

    @Test("a trailer-shaped block in an open volume: no finding, no repair, every block readable after a node restart",
          .timeLimit(.minutes(6)))
    func trailerShapedBlockChangesNothing() async throws {
        try await withTestCluster(verifiers: true) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let baselinePass = try await db.query("SELECT coalesce(max(id), 0) FROM passes").int64(0, 0)

            var keys: [BlockKey] = []
            for _ in 0..<5 { keys.append(BlockKey(hex: try await frontend.put(randomBlock(100...2000)).key)!) }
            let attack = Self.trailerShapedBlock()
            #expect(attack.count == 64)
            let attackKey = BlockKey(hex: try await frontend.put(attack).key)!
            #expect(attackKey == BlockKey.of(attack))

            let index = cluster.index
            let volume = try #require(try await index.lookup(attackKey)).volume
            let replicas = try await index.replicas(of: volume)
            #expect(replicas.count == 3)
            let nodes = replicas.map { replica in cluster.zones[0].nodes.first { $0.id == replica.node.id }! }
            let name = ExtentName(volume: UInt64(volume), generation: 1)
            // The block is the last bytes of an open extent on every replica.
            for node in nodes {
                let report = try ExtentReader(path: "\(node.dataDirectory)/extents/\(name)").scan()
                #expect(report.isClean && !report.isSealed, "\(node.name): \(report.problems)")
            }
            let inVolume = try await index.liveKeys(in: volume)
            #expect(inVolume.contains(attackKey))

            // Every scrubber holding the volume sweeps its disk at least twice.
            func completedPasses(_ node: ClusterFile.Node) async throws -> Int {
                try await db.query(
                    "SELECT count(*) FROM passes WHERE verifier = 'disk-scrubber' AND scope = $1 AND state = 'complete' AND id > $2",
                    [.text("\(cluster.zones[0].name)/node-\(node.id)"), .int64(baselinePass)]).int(0, 0)
            }
            for node in nodes {
                #expect(try await eventually(timeout: .seconds(120), interval: .milliseconds(250)) { try await completedPasses(node) >= 2 },
                        "\(node.name): the disk scrubber did not complete two passes")
            }
            try await expectNothingReported(db, volume: volume)

            // Restart a node holding the volume: it indexes every block of it again.
            let node = nodes[0]
            let process = cluster.process(named: "\(cluster.zones[0].name)/\(node.name)")
            await Processes.terminate(process.pid)
            var restarted = process
            try DevCluster.restart(&restarted)
            #expect(await eventually(timeout: .seconds(30)) { await DevCluster.isHealthy(process.health!) })
            let client = cluster.nodeClient(node)
            let presence = try await client.check(inVolume.map { (key: $0, volume: UInt64(volume)) })
            #expect(presence.allSatisfy { $0 == .present }, "after the restart: \(presence)")
            for key in inVolume {
                #expect(BlockKey.of(try await client.get(volume: UInt64(volume), key: key)) == key)
                guard case .found(let data) = try await frontend.get(key) else { Issue.record("frontend read of \(key) failed"); continue }
                #expect(BlockKey.of(data) == key)
            }
            // A further sweep of the restarted node's disk still finds nothing.
            let before = try await completedPasses(node)
            #expect(try await eventually(timeout: .seconds(120), interval: .milliseconds(250)) { try await completedPasses(node) > before })
            try await expectNothingReported(db, volume: volume)
            let report = try ExtentReader(path: "\(node.dataDirectory)/extents/\(name)").scan()
            #expect(report.isClean && !report.isSealed && report.intactRecords == inVolume.count, "\(report.problems)")
        }
    }

    func expectNothingReported(_ db: PostgresConnection, volume: Int64, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let findings = try await db.query("SELECT subject, kind FROM findings WHERE verifier = 'disk-scrubber'")
        #expect(findings.count == 0, "scrubber findings: \((0..<findings.count).map { "\(findings.string($0, 0)) \(findings.string($0, 1))" })",
                sourceLocation: sourceLocation)
        let repairs = try await db.query("SELECT reason FROM repair_queue WHERE volume_id = $1", [.int64(volume)])
        #expect(repairs.count == 0, "repairs: \((0..<repairs.count).map { repairs.string($0, 0) })", sourceLocation: sourceLocation)
    }
}

import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

@Suite("Cross-zone verifier", .serialized, .timeLimit(.minutes(6)))
struct CrossZoneVerifierTests {
    static func arguments(_ cluster: ClusterFile, grace: Int) -> [String] {
        ["--journal", cluster.journalDatabase, "--deep", "--node-token-file", cluster.tokens.readerFile,
         "--grace-seconds", "\(grace)"] + cluster.zones.flatMap { ["--zone", "\($0.name)=\($0.database)"] }
    }

    static func openFindings(_ journal: PostgresConnection) async throws -> Set<String> {
        let rows = try await journal.query("SELECT subject FROM findings WHERE verifier = 'cross-zone-verifier' AND resolved_at IS NULL")
        return Set((0..<rows.count).map { rows.string($0, 0) })
    }

    static func passesComplete(_ journal: PostgresConnection) async throws -> Int {
        try await journal.query("SELECT count(*) FROM passes WHERE verifier = 'cross-zone-verifier' AND state = 'complete'").int(0, 0)
    }

    @Test("missing in a zone (index or every replica) and unreferenced blocks are found; young writes are not judged")
    func bothDirections() async throws {
        try await withTestCluster(zones: ["zone-a", "zone-b"], volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let journal = FileJournal(pool: PostgresPool(url: cluster.journalDatabase, size: 2))
            let alice = try await journal.user(named: "alice", creatingIn: ["zone-a", "zone-b"])
            let frontends = cluster.zones.indices.map { cluster.frontendClient(zone: $0) }
            var files: [(id: Int64, keys: [BlockKey])] = []
            for f in 0..<3 {
                var keys: [BlockKey] = []
                for _ in 0..<20 {
                    let block = randomBlock(1024...8192)
                    for frontend in frontends { keys.append(BlockKey(hex: try await frontend.put(block).key)!) }
                    keys.removeLast()  // the same key from both zones
                }
                files.append((try await journal.recordFile(user: alice.id, path: "file-\(f)", size: 0, keys: keys), keys))
            }
            // A block in zone-a that no file references.
            let orphan = BlockKey(hex: try await frontends[0].put(randomBlock(100...200)).key)!
            let db = try await PostgresConnection.connect(url: cluster.journalDatabase)

            // Everything is younger than an hour: a pass judges nothing.
            let patient = try spawnVerifier(cluster, "vigil-cross-zone-verifier", Self.arguments(cluster, grace: 3600), log: "cross-zone-1")
            #expect(try await eventually(timeout: .seconds(60)) { try await Self.passesComplete(db) >= 1 })
            killProcess(patient)
            #expect(try await Self.openFindings(db).isEmpty, "writes inside the grace period produce no finding")

            // 1. A block removed from zone-a's index.
            let (fileA, keyA) = (files[0].id, files[0].keys[3])
            let zoneA = try await PostgresConnection.connect(url: cluster.zones[0].database)
            try await zoneA.query("DELETE FROM blocks WHERE key = $1", [.bytea(keyA.bytes)])
            // 2. A block removed from all of its replicas in zone-b (every replica's extent deleted).
            let (fileB, keyB) = (files[1].id, files[1].keys[5])
            let zoneB = BlockIndex(pool: PostgresPool(url: cluster.zones[1].database, size: 1))
            let volumeB = try #require(try await zoneB.lookup(keyB)).volume
            for replica in try await zoneB.replicas(of: volumeB) {
                let node = cluster.zones[1].nodes.first { $0.id == replica.node.id }!
                try FileManager.default.removeItem(atPath: "\(node.dataDirectory)/extents/v\(volumeB).g1.extent")
            }

            let verifier = try spawnVerifier(cluster, "vigil-cross-zone-verifier", Self.arguments(cluster, grace: 2), log: "cross-zone-2")
            defer { killProcess(verifier) }
            let expected: Set<String> = [
                "zone/zone-a/block/\(keyA.hex)/file/\(fileA)",
                "zone/zone-b/block/\(keyB.hex)/file/\(fileB)",
                "zone/zone-a/block/\(orphan.hex)",
            ]
            var found: Set<String> = []
            #expect(try await eventually(timeout: .seconds(60)) {
                found = try await Self.openFindings(db)
                return expected.isSubset(of: found)
            }, "missing: \(expected.subtracting(found))")
            // Nothing about zone-a beyond the removed row and the orphan; zone-b findings only for the deleted volume.
            let volumeBKeys = Set(try await zoneB.liveKeys(in: volumeB).map(\.hex))
            for subject in found.subtracting(expected) {
                #expect(subject.hasPrefix("zone/zone-b/block/") && volumeBKeys.contains(String(subject.split(separator: "/")[3])),
                        "unexpected finding \(subject)")
            }
        }
    }
}

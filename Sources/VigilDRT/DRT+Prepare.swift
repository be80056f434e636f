import Foundation
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres

extension DRT {
    /// Writes enough data for the plan: sealed volumes to damage (one fault per
    /// volume) and files in the File Journal for the cross-zone faults.
    func prepare(extentFaults: Int, journalFaults: Int) async throws {
        let frontend = frontendClient(zone)
        var written = 0
        // One fault per volume: as many sealed volumes as faults that need one.
        while try await Set(sealedReplicas().map(\.volume)).count < extentFaults + 2 {
            guard written < 40_000 else { throw DevClusterError("could not seal enough volumes for \(extentFaults) faults") }
            for _ in 0..<50 {
                _ = try await frontend.put((0..<(64 << 10)).map { _ in UInt8.random(in: 0...255, using: &rng) })
                written += 1
            }
        }
        if journalFaults > 0 {
            let journal = FileJournal(pool: PostgresPool(url: cluster.journalDatabase, size: 1))
            let user = try await journal.user(named: "drt", creatingIn: cluster.zones.map(\.name))
            for f in 0..<journalFaults {
                var keys: [BlockKey] = []
                for _ in 0..<3 {
                    let block = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    for z in cluster.zones { keys.append(BlockKey(hex: try await frontendClient(z).put(block).key)!) }
                    keys.removeLast(cluster.zones.count - 1)
                }
                _ = try await journal.recordFile(user: user.id, path: "drt-\(rng.next())-\(f)", size: 3 * 4096, keys: keys)
                journalKeys += keys
            }
        }
        if written > 0 { log("prepared: wrote \(written) blocks") }
    }

    /// (volume, node) pairs of sealed volumes' live replicas.
    func sealedReplicas() async throws -> [(volume: Int64, node: Int)] {
        try await index.pool.withConnection { c in
            let rows = try await c.query("""
                SELECT r.volume_id, r.node_id FROM volume_replicas r JOIN volumes v ON v.id = r.volume_id
                WHERE v.state = 'sealed' AND r.state = 'live' ORDER BY 1, 2
                """)
            return try (0..<rows.count).map { (try rows.int64($0, 0), try rows.int($0, 1)) }
        }
    }

    /// A replica of a sealed volume no other fault has touched.
    func freshReplica() async throws -> (volume: Int64, node: ClusterFile.Node, path: String) {
        let candidates = try await sealedReplicas().filter { !usedVolumes.contains($0.volume) }.shuffled(using: &rng)
        guard let pick = candidates.first, let node = zone.nodes.first(where: { $0.id == pick.node }) else {
            throw DevClusterError("no untouched sealed volume left to damage")
        }
        usedVolumes.insert(pick.volume)
        return (pick.volume, node, "\(node.dataDirectory)/extents/v\(pick.volume).g1.extent")
    }
}

import VigilCore
import VigilNodeClient
import VigilPostgres

extension CrossZoneVerifier {
    struct ZoneRow { var live: Bool; var volume: Int64 }

    /// The zone's index rows for `keys`, in one statement.
    func lookup(_ keys: Set<BlockKey>, in zone: PostgresPool) async throws -> [BlockKey: ZoneRow] {
        let hex = keys.map(\.hex).joined(separator: ",")
        return try await zone.withConnection { c in
            let rows = try await c.query("""
                SELECT key, state, volume_id FROM blocks WHERE key IN (SELECT decode(k, 'hex') FROM unnest(string_to_array($1, ',')) AS k)
                """, [.text(hex)])
            var out: [BlockKey: ZoneRow] = [:]
            for i in 0..<rows.count {
                out[BlockKey(bytes: rows.bytes(i, 0))!] = ZoneRow(live: try rows.int(i, 1) == 0, volume: try rows.int64(i, 2))
            }
            return out
        }
    }

    /// With `deep`: the live blocks that none of their volume's live replicas
    /// holds. A node that does not answer leaves its blocks unjudged.
    /// A node that refuses our token is named in `refused` (with what to fix): a
    /// configuration fault of its own, its blocks unjudged too.
    func missingOnEveryReplica(_ rows: [BlockKey: ZoneRow], zone: PostgresPool) async throws
        -> (missing: Set<BlockKey>, unreachable: Bool, refused: [Int: String], answered: [Int]) {
        guard let token = config.nodeToken, !rows.isEmpty else { return ([], false, [:], []) }
        let index = BlockIndex(pool: zone)
        var byNode: [Int: (NodeRecord, [(key: BlockKey, volume: UInt64)])] = [:]
        var replicaCount: [BlockKey: Int] = [:]
        for volume in Set(rows.values.map(\.volume)) {
            let replicas = try await index.replicas(of: volume).filter { $0.state == "live" }
            for (key, row) in rows where row.volume == volume {
                replicaCount[key] = replicas.count
                for replica in replicas {
                    byNode[replica.node.id, default: (replica.node, [])].1.append((key, UInt64(volume)))
                }
            }
        }
        var presentSomewhere: Set<BlockKey> = []
        var unreachable = false
        var refused: [Int: String] = [:]
        var answered: [Int] = []
        for (id, (node, pairs)) in byNode {
            do {
                // In chunks under the node's per-request limit (PresenceBatch.maxEntries).
                let client = NodeClient(address: node.address, token: token)
                for start in stride(from: 0, to: pairs.count, by: 100_000) {
                    let chunk = Array(pairs[start..<min(pairs.count, start + 100_000)])
                    let answers = try await client.check(chunk)
                    for (pair, answer) in zip(chunk, answers) where answer == .present { presentSomewhere.insert(pair.key) }
                }
                answered.append(id)
            } catch {
                if let error = error as? NodeClientError, error.isUnauthorized { refused[id] = error.description }
                unreachable = true
                presentSomewhere.formUnion(pairs.map(\.key))  // not judged
            }
        }
        return (Set(rows.keys).subtracting(presentSomewhere), unreachable, refused, answered)
    }
}

import VigilCore
import VigilNodeClient
import VigilPostgres

extension CrossZoneVerifier {
    /// With `deep`: the live blocks (`rows`) that none of their volume's live
    /// replicas holds, asked of every node at most once per page: the volumes'
    /// replica sets and the nodes' addresses are two batched reads, not one per volume.
    /// A node that does not answer leaves its blocks unjudged.
    /// A node that refuses our token is named in `refused` (with what to fix): a
    /// configuration fault of its own, its blocks unjudged too.
    func missingOnEveryReplica(_ rows: [BlockRow], zone: PostgresPool) async throws
        -> (missing: Set<BlockKey>, unreachable: Bool, refused: [Int: String], answered: [Int]) {
        guard let token = config.nodeToken, !rows.isEmpty else { return ([], false, [:], []) }
        let index = BlockIndex(pool: zone)
        let sets = try await index.replicaSets(of: Set(rows.map(\.volume)))
        let addresses = Dictionary(try await index.nodes().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var byNode: [Int: [(key: BlockKey, volume: UInt64)]] = [:]
        for row in rows {
            for node in sets[row.volume]?.liveNodes ?? [] {
                byNode[node, default: []].append((row.key, UInt64(bitPattern: row.volume)))
            }
        }
        var presentSomewhere: Set<BlockKey> = []
        var unreachable = false
        var refused: [Int: String] = [:]
        var answered: [Int] = []
        for (id, pairs) in byNode {
            do {
                guard let node = addresses[id] else {
                    throw NodeClientError(kind: .unreachable, peer: .node, address: "", message: "node \(id) is not in the zone's nodes")
                }
                // In chunks under the node's per-request limit (PresenceBatch.maxEntries).
                let client = NodeClient(address: node.address, token: token)
                for start in stride(from: 0, to: pairs.count, by: 100_000) {
                    let chunk = Array(pairs[start..<min(pairs.count, start + 100_000)])
                    let answers = try await client.check(chunk)
                    for (pair, answer) in zip(chunk, answers) where answer == .present { presentSomewhere.insert(pair.key) }
                }
                answered.append(id)
            } catch is CancellationError {
                throw CancellationError()  // shutdown: no answer, never "unreachable"
            } catch {
                if let error = error as? NodeClientError, error.isUnauthorized { refused[id] = error.description }
                unreachable = true
                presentSomewhere.formUnion(pairs.map(\.key))  // not judged
            }
        }
        return (Set(rows.map(\.key)).subtracting(presentSomewhere), unreachable, refused, answered)
    }
}

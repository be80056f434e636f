import VigilCore
import VigilNodeClient
import VigilPostgres

extension Master {
    /// Keys per presence check: well under what a node accepts in one request
    /// (`PresenceBatch.maxEntries`), so a volume of many small blocks is checked
    /// in several requests instead of being refused forever.
    static let presenceChunk = min(100_000, PresenceBatch.maxEntries)

    /// Whether `node` answers present for every key in `volume`, asked in chunks.
    func holdsAll<Keys: Collection>(_ keys: Keys, volume: Int64, on node: NodeRecord) async throws -> Bool where Keys.Element == BlockKey {
        let client = self.node(node)
        var chunk: [(key: BlockKey, volume: UInt64)] = []
        chunk.reserveCapacity(min(keys.count, Self.presenceChunk))
        for key in keys {
            chunk.append((key: key, volume: UInt64(volume)))
            if chunk.count == Self.presenceChunk {
                guard try await client.check(chunk).allSatisfy({ $0 == .present }) else { return false }
                chunk.removeAll(keepingCapacity: true)
            }
        }
        guard !chunk.isEmpty else { return true }
        return try await client.check(chunk).allSatisfy { $0 == .present }
    }
}

import VigilCore
import VigilNodeClient
import VigilPostgres

/// One block read back from one replica.
enum ReadBack: Sendable {
    /// The node returned bytes (it checked the record's CRCs) whose SHA-256 is
    /// the key and whose length is the index row's.
    case intact
    /// A definite answer that is not an intact copy.
    case bad(String)
    /// The node answered that it holds no such block: bad only if its replica is
    /// still the same live copy after the read (a repair swapping the copy
    /// answers not found for a moment).
    case notFound(String)
}

extension TrashInspector {
    /// Reads `rows`' blocks back from `node`, `readConcurrency` at a time. Stops at
    /// the first request that leaves the node's answer unknown (unreachable,
    /// refused token) and returns it: the keys not in `results` are unjudged there.
    /// Throws what is no answer from the node at all (cancellation at shutdown).
    func readBack(
        _ rows: [BlockRow], volume: Int64, from node: NodeRecord
    ) async throws -> (results: [BlockKey: ReadBack], trouble: (UnjudgedPeers.Trouble, NodeClientError)?) {
        let client = client(node)
        var results: [BlockKey: ReadBack] = [:]
        let width = max(1, config.readConcurrency)
        for start in stride(from: 0, to: rows.count, by: width) {
            let chunk = rows[start..<min(start + width, rows.count)]
            let answers = await withTaskGroup(of: (BlockKey, Result<[UInt8], any Error>).self) { group in
                for row in chunk {
                    group.addTask {
                        do { return (row.key, .success(try await client.get(volume: UInt64(volume), key: row.key))) }
                        catch { return (row.key, .failure(error)) }
                    }
                }
                return await group.reduce(into: [(BlockKey, Result<[UInt8], any Error>)]()) { $0.append($1) }
            }
            var trouble: (UnjudgedPeers.Trouble, NodeClientError)?
            for (key, answer) in answers {
                guard let row = chunk.first(where: { $0.key == key }) else { continue }
                switch answer {
                case .success(let bytes):
                    if BlockKey.of(bytes) != key {
                        results[key] = .bad("node \(node.id) returned bytes whose SHA-256 is not the key")
                    } else if bytes.count != Int(row.length) {
                        results[key] = .bad("node \(node.id) returned \(bytes.count) bytes; the index row says \(row.length)")
                    } else {
                        results[key] = .intact
                    }
                case .failure(let error):
                    guard let error = error as? NodeClientError else { throw error }
                    if let kind = UnjudgedPeers.trouble(error) {
                        trouble = trouble ?? (kind, error)
                    } else if error.isNotFound {
                        results[key] = .notFound("node \(node.id) has no intact copy: \(Self.describe(error))")
                    } else {
                        results[key] = .bad("node \(node.id) has no intact copy: \(Self.describe(error))")
                    }
                }
            }
            if let trouble { return (results, trouble) }
        }
        return (results, nil)
    }

    /// A node's definite refusal, short: its code and message.
    static func describe(_ error: NodeClientError) -> String {
        let status = if case .status(let s) = error.kind { "\(s)" } else { "" }
        return String("\(error.code ?? status) \(error.message)".prefix(200))
    }
}

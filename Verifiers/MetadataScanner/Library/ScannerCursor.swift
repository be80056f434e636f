import VigilCore

/// Where a metadata scanner is: the last key checked, whether the key range is
/// exhausted, and ranges still to recheck on nodes that did not answer.
/// Persisted as the pass cursor, so a restart loses no pending recheck.
struct ScannerCursor: Equatable {
    struct Deferred: Equatable {
        var node: Int
        /// Next key to recheck (inclusive) and the last one (inclusive).
        var from: BlockKey
        var to: BlockKey
    }

    var lastKey: BlockKey?
    var exhausted = false
    var deferred: [Deferred] = []

    init() {}

    /// Decodes a saved cursor; an empty or malformed one starts the pass over.
    init(_ bytes: [UInt8]) {
        guard bytes.count >= 38, bytes.last == 0xEE else { return }
        let count = Int(bytes[33]) | Int(bytes[34]) << 8 | Int(bytes[35]) << 16 | Int(bytes[36]) << 24
        guard count <= 1_000_000, bytes.count == 37 + count * 68 + 1 else { return }
        var deferred: [Deferred] = []
        for i in 0..<count {
            let base = 37 + i * 68
            let node = Int(bytes[base]) | Int(bytes[base + 1]) << 8 | Int(bytes[base + 2]) << 16 | Int(bytes[base + 3]) << 24
            deferred.append(Deferred(
                node: node, from: BlockKey(bytes: bytes[(base + 4)..<(base + 36)])!, to: BlockKey(bytes: bytes[(base + 36)..<(base + 68)])!))
        }
        let flags = bytes[0]
        lastKey = flags & 1 != 0 ? BlockKey(bytes: bytes[1..<33]) : nil
        exhausted = flags & 2 != 0
        self.deferred = deferred
    }

    var encoded: [UInt8] {
        var out: [UInt8] = [(lastKey == nil ? 0 : 1) | (exhausted ? 2 : 0)]
        out += lastKey?.bytes ?? [UInt8](repeating: 0, count: 32)
        let count = UInt32(deferred.count)
        out += (0..<4).map { UInt8(truncatingIfNeeded: count >> (8 * $0)) }
        for d in deferred {
            out += (0..<4).map { UInt8(truncatingIfNeeded: UInt32(d.node) >> (8 * $0)) }
            out += d.from.bytes + d.to.bytes
        }
        return out + [0xEE]  // end marker: a truncated cursor is not mistaken for a valid one
    }

    /// Adds a range to recheck on `node`, merging with its last range when adjacent.
    mutating func addDeferred(node: Int, from: BlockKey, to: BlockKey) {
        if let i = deferred.lastIndex(where: { $0.node == node }), deferred[i].to < from, i == deferred.count - 1 {
            deferred[i].to = to
        } else {
            deferred.append(Deferred(node: node, from: from, to: to))
        }
    }
}

import VigilCore

/// Where a metadata scanner is: the last key checked, whether the key range is
/// exhausted, and ranges still to recheck on nodes that did not answer.
/// Stored by the runner as the pass cursor, so a restart loses no pending recheck.
public struct ScannerCursor: Codable, Sendable, Equatable {
    struct Deferred: Codable, Sendable, Equatable {
        var node: Int
        /// Next key to recheck (inclusive) and the last one (inclusive).
        var from: BlockKey
        var to: BlockKey
    }

    var lastKey: BlockKey?
    var exhausted = false
    var deferred: [Deferred] = []

    init() {}

    /// Adds a range to recheck on `node`, merging with its last range when adjacent.
    mutating func addDeferred(node: Int, from: BlockKey, to: BlockKey) {
        if let i = deferred.lastIndex(where: { $0.node == node }), deferred[i].to < from, i == deferred.count - 1 {
            deferred[i].to = to
        } else {
            deferred.append(Deferred(node: node, from: from, to: to))
        }
    }
}

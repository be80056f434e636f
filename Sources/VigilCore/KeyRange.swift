/// A half-open range of block keys: `start` inclusive, `end` exclusive (`nil`: to the last key).
public struct KeyRange: Sendable, Equatable, CustomStringConvertible {
    public var start: BlockKey
    public var end: BlockKey?

    public init(start: BlockKey, end: BlockKey?) {
        self.start = start
        self.end = end
    }

    public static let all = KeyRange(start: .zero, end: nil)

    public func contains(_ key: BlockKey) -> Bool {
        key >= start && (end.map { key < $0 } ?? true)
    }

    /// Shard `index` (0-based) of `count` equal slices of the key space, split on
    /// the first 64 bits. Together the shards cover every key exactly once.
    public static func shard(_ index: Int, of count: Int) -> KeyRange {
        precondition(count > 0 && index >= 0 && index < count, "shard \(index) of \(count)")
        func boundary(_ i: Int) -> BlockKey {
            let w0 = UInt64((UInt128(i) << 64) / UInt128(count))
            return BlockKey(w0: w0, w1: 0, w2: 0, w3: 0)
        }
        return KeyRange(start: boundary(index), end: index + 1 == count ? nil : boundary(index + 1))
    }

    public var description: String {
        "[\(start.hex.prefix(16))…, \(end.map { String($0.hex.prefix(16)) + "…" } ?? "end"))"
    }
}

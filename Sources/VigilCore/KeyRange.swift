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

    /// Parses a `--shard` value, `I/N` with I counted from 1, into a 0-based index and a count.
    public static func parseShard(_ text: String) -> (index: Int, count: Int)? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 1, i <= n else { return nil }
        return (i - 1, n)
    }

    public var description: String {
        "[\(start.hex.prefix(16))…, \(end.map { String($0.hex.prefix(16)) + "…" } ?? "end"))"
    }
}

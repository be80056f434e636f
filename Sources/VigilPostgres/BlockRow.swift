import VigilCore

/// One block-index row as the scanners read it: the covering primary key's columns.
public struct BlockRow: Sendable, Equatable {
    public var key: BlockKey
    public var volume: Int64
    public var length: Int32
    /// CRC32C of the block's data.
    public var checksum: UInt32
    public var state: BlockState

    public init(key: BlockKey, volume: Int64, length: Int32, checksum: UInt32, state: BlockState) {
        self.key = key
        self.volume = volume
        self.length = length
        self.checksum = checksum
        self.state = state
    }
}

/// A block's life in the index (`blocks.state`, smallint).
public enum BlockState: Int16, Sendable {
    /// Readable; must be present on every replica of its volume.
    case live = 0
    /// Deleted through the API; GC may reclaim it.
    case deleted = 1
}

/// Types of the storage node API contract (`Schemas/node-api.md`), shared by
/// the node and its clients.

/// Answer of a presence check for one key in one volume (`Schemas/node-api.md`).
public enum Presence: UInt8, Sendable {
    case absent = 0
    case present = 1
    case trashOnly = 2
    /// Held live, but the record's length or CRC32C differs from what the
    /// asker's index says (only in answers to a check with records).
    case mismatch = 3
}

/// An extent as `GET /v1/extents` lists it.
public struct ExtentListing: Codable, Sendable, Equatable {
    public init(name: String, volume: UInt64, generation: UInt32, location: String, size: UInt64, sealed: Bool, mtime: Double) {
        self.name = name
        self.volume = volume
        self.generation = generation
        self.location = location
        self.size = size
        self.sealed = sealed
        self.mtime = mtime
    }

    public var name: String
    public var volume: UInt64
    public var generation: UInt32
    public var location: String
    public var size: UInt64
    public var sealed: Bool
    public var mtime: Double
}


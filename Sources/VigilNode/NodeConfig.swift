import VigilCore

/// A storage node's configuration.
public struct NodeConfig: Sendable {
    /// Holds `extents/` and `trash/`.
    public var dataDirectory: String
    public var tokens: TokenSet
    public var host = "127.0.0.1"
    public var port = 7100
    /// `fdatasync` every append before acknowledging it (turn off only for throwaway data).
    public var fsync = true
    /// Recorded in the data directory on first start; a directory recording
    /// another identity is refused. Nil: nothing is recorded or checked.
    public var identity: NodeIdentity?
    /// The largest block accepted.
    public var maxBlockSize = ExtentFormat.defaultMaxBlockSize

    public init(dataDirectory: String, tokens: TokenSet) {
        self.dataDirectory = dataDirectory
        self.tokens = tokens
    }
}

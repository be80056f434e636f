/// A storage node as the block index records it.
public struct NodeRecord: Sendable, Equatable, Codable {
    public var id: Int
    public var name: String
    public var address: String
    public var state: String

    public init(id: Int, name: String, address: String, state: String) {
        self.id = id
        self.name = name
        self.address = address
        self.state = state
    }
}

/// One replica of a volume, with the address of the node holding it.
public struct ReplicaRecord: Sendable, Equatable {
    public var volume: Int64
    public var node: NodeRecord
    public var generation: Int
    public var state: String
}

/// A volume row.
public struct VolumeRecord: Sendable, Equatable {
    public var id: Int64
    public var state: String
    public var generation: Int
    public var replication: Int
    public var sizeBytes: Int64
}

/// A repair the master is to carry out.
public struct RepairRequest: Sendable, Equatable {
    public var id: Int64
    public var volume: Int64
    public var node: Int
    /// The replica generation the requester judged; nil when it named none.
    public var generation: Int?
    public var reason: String
    public var requestedBy: String
    public var attempts: Int

    /// An operator's rebuild: only the database owner or the store can write
    /// this requester (row-level security keeps a verifier to its own name), and
    /// it replaces the copy even when it verifies clean.
    public var isOperatorRebuild: Bool { requestedBy == RepairRequest.operatorRequester }
    public static let operatorRequester = "operator"
}

// The states the store's tables hold, as `Schemas/block-index` constrains them.

/// `volumes.state`.
public struct VolumeState: LedgerVocabulary {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Takes writes.
    public static let open = VolumeState(rawValue: "open")
    /// Stopped taking writes after a failed replica write; sealed later.
    public static let closed = VolumeState(rawValue: "closed")
    /// Immutable.
    public static let sealed = VolumeState(rawValue: "sealed")
    /// After GC or a move.
    public static let retired = VolumeState(rawValue: "retired")
    public static let known: [VolumeState] = [.open, .closed, .sealed, .retired]
}

/// `volume_replicas.state`.
public struct ReplicaState: LedgerVocabulary {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Serves reads, counts towards the replication.
    public static let live = ReplicaState(rawValue: "live")
    /// Being rebuilt by the master.
    public static let repairing = ReplicaState(rawValue: "repairing")
    /// Awaiting unlink.
    public static let trashed = ReplicaState(rawValue: "trashed")
    /// Its node is dead; re-replicated elsewhere.
    public static let lost = ReplicaState(rawValue: "lost")
    public static let known: [ReplicaState] = [.live, .repairing, .trashed, .lost]
}

/// `nodes.state`.
public struct NodeState: LedgerVocabulary {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let up = NodeState(rawValue: "up")
    public static let down = NodeState(rawValue: "down")
    public static let draining = NodeState(rawValue: "draining")
    public static let retired = NodeState(rawValue: "retired")
    /// Lost for good: its replicas are re-created elsewhere.
    public static let dead = NodeState(rawValue: "dead")
    public static let known: [NodeState] = [.up, .down, .draining, .retired, .dead]
}

/// `extent_instructions.kind`: what the master recorded before telling a node.
public struct InstructionKind: LedgerVocabulary {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let trash = InstructionKind(rawValue: "trash")
    public static let unlink = InstructionKind(rawValue: "unlink")
    public static let restore = InstructionKind(rawValue: "restore")
    public static let install = InstructionKind(rawValue: "install")
    public static let known: [InstructionKind] = [.trash, .unlink, .restore, .install]
}

// The states the ledger's own tables hold (`Schemas/ledger`).

/// `repair_queue.state`.
public struct RepairState: LedgerVocabulary {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let pending = RepairState(rawValue: "pending")
    public static let running = RepairState(rawValue: "running")
    public static let done = RepairState(rawValue: "done")
    public static let failed = RepairState(rawValue: "failed")
    /// Closed unrepaired: about a generation the replica no longer has.
    public static let superseded = RepairState(rawValue: "superseded")
    /// Closed unrepaired: the master verified the named copy clean and whole.
    public static let refused = RepairState(rawValue: "refused")
    public static let known: [RepairState] = [.pending, .running, .done, .failed, .superseded, .refused]
    /// Not finished: the repair backlog.
    public static let outstanding: [RepairState] = [.pending, .running]
}

/// `passes.state`.
public struct PassStatus: LedgerVocabulary {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public static let running = PassStatus(rawValue: "running")
    public static let complete = PassStatus(rawValue: "complete")
    /// Replaced by a new pass before it completed.
    public static let abandoned = PassStatus(rawValue: "abandoned")
    public static let known: [PassStatus] = [.running, .complete, .abandoned]
}

extension Finding.Severity {
    /// A stored severity; one this build does not know counts as critical, so a
    /// newer build's worse level still blocks the gate rather than slipping by.
    public init(stored: String) { self = Finding.Severity(rawValue: stored) ?? .critical }

    /// Most severe first.
    public static let bySeverity: [Finding.Severity] = [.critical, .error, .warning, .info]
}

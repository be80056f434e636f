/// A zone master's configuration.
public struct MasterConfig: Sendable {
    public var zone: String
    public var databaseURL: String
    /// Admin token for the zone's nodes.
    public var nodeToken: String
    /// Where extents are staged while a repair verifies them.
    public var workDirectory: String
    /// The File Journal, read only: while an open `missing_in_zone` finding there names
    /// a block a trash extent's node holds only in that volume's trash, the extent is
    /// not unlinked (`Master+DeletionHold`). Nil holds nothing.
    public var journalDatabaseURL: String?
    public var host = "127.0.0.1"
    public var port = 7050
    /// Pause between rounds of work (sealing, repairs).
    public var interval: Duration = .seconds(10)
    /// Attempts before a repair is marked failed.
    public var maxRepairAttempts = 5
    /// The most one repair, or one volume's re-replication, may take (copy,
    /// verify, install); a slower one is abandoned and retried next round, so a
    /// node that stops answering mid-copy never holds up the rest of the round.
    public var repairTimeout: Duration = .seconds(600)
    /// The most a round may take: 8 repairs and the re-replications before them, each
    /// bounded by `repairTimeout`, and the rest. A round still running this long after
    /// it was due makes `/healthz` say the rounds are overdue (a hung database call).
    public var roundOverdueAfter: Duration { repairTimeout * 12 + .seconds(600) }
    /// A trash extent is unlinked only after a passed inspection older than this (production 24 h).
    public var retention: Duration = .seconds(86_400)
    /// A sealed volume whose deleted fraction reaches this is compacted; nil turns GC off.
    public var gcThreshold: Double? = 0.5
    /// How much of a node's and the zone's extents trash, unlink, install-over and
    /// drain may touch per window (default 10% of a node, 5% of the zone, per hour).
    public var blastRadius = BlastRadiusCap()
    /// A node that answers no health probe for this long is declared dead and its
    /// replicas are re-created on other nodes (within the blast-radius cap); nil
    /// (the default) leaves that to an operator (`vigil nodes retire N --dead`).
    /// Keep it well above a restart or a maintenance reboot.
    public var deadAfter: Duration? = nil

    public init(zone: String, databaseURL: String, nodeToken: String, workDirectory: String) {
        self.zone = zone
        self.databaseURL = databaseURL
        self.nodeToken = nodeToken
        self.workDirectory = workDirectory
    }
}

import VigilVerifier

/// Configuration of one node host's extent referee.
public struct ExtentRefereeConfig: Sendable {
    public var zone: String
    public var nodeID: Int
    /// The node's data directory (holding `extents/` and `trash/`).
    public var dataDirectory: String
    public var databaseURL: String
    /// The retention an unlink must respect after a passed inspection (as the master's).
    public var retention: Duration = .seconds(86_400)
    public var profile: CadenceProfile = .production
    /// Besides at start and after an overflow, reconcile with the index this often (each one a pass).
    public var reconcileInterval: Duration = .seconds(3600)
    /// The most one round of the watch lane (a batch judged, or a reconcile)
    /// may take: a lane that long late is overdue on `/healthz`.
    public var roundOverdueAfter: Duration = .seconds(300)
    public var host = "127.0.0.1"
    public var port = 7700

    public init(zone: String, nodeID: Int, dataDirectory: String, databaseURL: String) {
        self.zone = zone
        self.nodeID = nodeID
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
    }

    public mutating func applyDevProfile(retentionSeconds: Int = 5) {
        profile = .dev
        retention = .seconds(retentionSeconds)
        reconcileInterval = .seconds(3)
    }

    public var scope: String { "\(zone)/node-\(nodeID)" }
}

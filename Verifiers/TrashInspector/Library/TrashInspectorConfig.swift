import VigilVerifier

/// Configuration of a zone's trash inspector.
public struct TrashInspectorConfig: Sendable {
    public var zone: String
    public var databaseURL: String
    /// Reader token for the zone's nodes.
    public var nodeToken: String
    /// Where trash extents are staged while inspected.
    public var workDirectory: String
    /// The File Journal (read only). With it, a deleted or unindexed block that a
    /// live file of a user homed in this zone references fails its trash extent;
    /// nil judges from the index alone (a deleted block shared by another file,
    /// or one whose row was lost, then passes).
    public var journalDatabaseURL: String?
    public var profile: CadenceProfile = .production
    public var passInterval: Duration = .seconds(600)
    /// A trash extent that passed is judged again (downloaded, every live key read
    /// back) once its verdict is this old, even if nothing it rests on changed:
    /// the bound on damage its memo cannot see (a replica going bad unnoticed, a
    /// file replaced by one of the same size and modification time).
    public var rejudgeAfter: Duration = .seconds(6 * 3600)
    /// Block reads in flight at once against one replica while copies are verified.
    public var readConcurrency = 8
    /// How long a node request (listing, block read) may take before the node
    /// counts as unreachable for this step; extent downloads have their own limit.
    public var nodeTimeout: Duration = .seconds(10)
    public var host = "127.0.0.1"
    public var port = 7600

    public init(zone: String, databaseURL: String, nodeToken: String, workDirectory: String) {
        self.zone = zone
        self.databaseURL = databaseURL
        self.nodeToken = nodeToken
        self.workDirectory = workDirectory
    }

    public mutating func applyDevProfile() {
        profile = .dev
        passInterval = .milliseconds(500)
        rejudgeAfter = .seconds(300)
        nodeTimeout = .seconds(2)
    }
}

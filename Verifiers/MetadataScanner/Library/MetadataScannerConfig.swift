import VigilCore
import VigilVerifier

/// Configuration of one metadata scanner (one shard of one zone).
public struct MetadataScannerConfig: Sendable {
    public var zone: String
    public var databaseURL: String
    /// Reader token for the zone's nodes.
    public var nodeToken: String
    /// This scanner's slice of the key space: shard `index` (0-based) of `count`.
    public var shardIndex = 0
    public var shardCount = 1
    public var profile: CadenceProfile = .production
    /// Rows per step (one index page, one presence batch per node).
    public var pageSize = 100_000
    /// Blocks per second; nil sizes the rate for a full sweep every `sweepPeriod`.
    public var rateBlocksPerSecond: Double?
    public var sweepPeriod: Duration = .seconds(7 * 86_400)
    /// The most a paced sweep may check (blocks per second), however late its
    /// pass; an index too big to sweep within `sweepPeriod` under it is
    /// reported (`vigil_pass_deadline_unreachable`). nil: no cap.
    public var maxRateBlocksPerSecond: Double? = 200_000
    public var passInterval: Duration = .seconds(60)
    /// How long a cached volume → replicas map is trusted.
    public var replicaCacheAge: Duration = .seconds(30)
    public var host = "127.0.0.1"
    public var port = 7300

    public init(zone: String, databaseURL: String, nodeToken: String) {
        self.zone = zone
        self.databaseURL = databaseURL
        self.nodeToken = nodeToken
    }

    public mutating func applyDevProfile() {
        profile = .dev
        sweepPeriod = .seconds(2)
        passInterval = .milliseconds(500)
        replicaCacheAge = .seconds(1)
    }

    public var range: KeyRange { KeyRange.shard(shardIndex, of: shardCount) }
    public var scope: String { shardCount == 1 ? zone : "\(zone)/shard-\(shardIndex + 1)-of-\(shardCount)" }
}

import VigilCore
import VigilVerifier

/// Configuration of the cross-zone verifier (one shard of the key space).
public struct CrossZoneConfig: Sendable {
    public struct Zone: Sendable, Equatable {
        public var name: String
        public var databaseURL: String
    }

    /// The File Journal's database; the verifier's ledger lives there too.
    public var journalURL: String
    public var zones: [Zone]
    /// Reader token for the zones' nodes (with `deep`).
    public var nodeToken: String?
    /// Also ask the nodes whether a zone's replicas hold each block.
    public var deep = false
    /// Files and blocks younger than this are not judged (the replication window).
    public var grace: Duration = .seconds(3600)
    /// This verifier's slice of the key space, in the journal and in every zone:
    /// shard `index` (0-based) of `count`.
    public var shardIndex = 0
    public var shardCount = 1
    public var profile: CadenceProfile = .production
    /// Keys per step (one journal or zone page, one batch of lookups).
    public var pageSize = 10_000
    /// Keys per second; nil paces every pass to finish within `sweepPeriod`.
    public var rateKeysPerSecond: Double?
    public var sweepPeriod: Duration = .seconds(7 * 86_400)
    /// The most a paced pass may check (keys per second), however late it is;
    /// a journal too big to sweep within `sweepPeriod` under it is reported
    /// (`vigil_pass_deadline_unreachable`). nil: no cap.
    public var maxRateKeysPerSecond: Double? = 20_000
    public var passInterval: Duration = .seconds(3600)
    public var host = "127.0.0.1"
    public var port = 7500

    public init(journalURL: String, zones: [Zone]) {
        self.journalURL = journalURL
        self.zones = zones
    }

    /// Dev: short periods, passes not paced.
    public mutating func applyDevProfile() {
        profile = .dev
        grace = .seconds(3)
        passInterval = .seconds(1)
        sweepPeriod = .seconds(2)
    }

    public var range: KeyRange { KeyRange.shard(shardIndex, of: shardCount) }
    public var scope: String { shardCount == 1 ? "global" : "global/shard-\(shardIndex + 1)-of-\(shardCount)" }

    /// Parses `NAME=URL` pairs.
    public static func parseZone(_ text: String) -> Zone? {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { return nil }
        let url = String(text[text.index(after: eq)...])
        return url.isEmpty ? nil : Zone(name: String(text[..<eq]), databaseURL: url)
    }
}

import VigilVerifier

/// Configuration of one node host's disk scrubber.
public struct DiskScrubberConfig: Sendable {
    public var zone: String
    /// The node's id in the zone's block index.
    public var nodeID: Int
    /// The node's data directory (holding `extents/` and `trash/`), read directly.
    public var dataDirectory: String
    public var databaseURL: String
    public var profile: CadenceProfile = .production
    /// Bytes per second; nil sizes the rate so a full sweep takes `sweepPeriod`.
    public var rateBytesPerSecond: Double?
    /// The most a paced sweep may read (bytes per second), however late its
    /// pass; a node too big to sweep within `sweepPeriod` under it is reported
    /// (`vigil_pass_deadline_unreachable`). nil: no cap.
    public var maxRateBytesPerSecond: Double? = Double(256 << 20)
    /// Production: a full sweep every 14 days.
    public var sweepPeriod: Duration = .seconds(14 * 86_400)
    /// The recent lane rescans extents modified within this window…
    public var recentWindow: Duration = .seconds(86_400)
    /// …this often.
    public var recentInterval: Duration = .seconds(3_600)
    public var passInterval: Duration = .seconds(60)
    public var host = "127.0.0.1"
    public var port = 7200

    public init(zone: String, nodeID: Int, dataDirectory: String, databaseURL: String) {
        self.zone = zone
        self.nodeID = nodeID
        self.dataDirectory = dataDirectory
        self.databaseURL = databaseURL
    }

    /// The dev profile: sweeps in seconds, recent lane every second.
    public mutating func applyDevProfile() {
        profile = .dev
        sweepPeriod = .seconds(5)
        recentWindow = .seconds(60)
        recentInterval = .seconds(1)
        passInterval = .milliseconds(500)
    }

    public var scope: String { "\(zone)/node-\(nodeID)" }
}

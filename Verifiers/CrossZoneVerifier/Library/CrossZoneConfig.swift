import VigilVerifier

/// Configuration of the (global) cross-zone verifier.
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
    public var profile: CadenceProfile = .production
    public var pageSize = 10_000
    public var rateKeysPerSecond: Double?
    public var passInterval: Duration = .seconds(3600)
    public var host = "127.0.0.1"
    public var port = 7500

    public init(journalURL: String, zones: [Zone]) {
        self.journalURL = journalURL
        self.zones = zones
    }

    public mutating func applyDevProfile() {
        profile = .dev
        grace = .seconds(3)
        passInterval = .seconds(1)
    }

    /// Parses `NAME=URL` pairs.
    public static func parseZone(_ text: String) -> Zone? {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { return nil }
        let url = String(text[text.index(after: eq)...])
        return url.isEmpty ? nil : Zone(name: String(text[..<eq]), databaseURL: url)
    }
}

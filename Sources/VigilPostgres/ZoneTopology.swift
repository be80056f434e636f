/// What a zone must be verified by (`zone_topology`): its name, the verifiers'
/// cadence profile, the watcher's stages, the scanner's shards, and whether the
/// cross-zone verifier covers it. The gate derives its expected scopes from this
/// row and the zone's live nodes, never from its own command line.
public struct ZoneTopology: Sendable, Equatable {
    public var zone: String
    public var profile: String
    public var watcherStages: [String]
    public var scannerShards: Int
    public var crossZone: Bool

    /// The production watcher stages (Magic Pocket's delays) and the dev profile's.
    public static let productionStages = ["1m", "1h", "1d", "7d", "30d"]
    public static let devStages = ["1s", "2s", "3s", "4s", "5s"]

    public init(zone: String, profile: String, watcherStages: [String]? = nil, scannerShards: Int = 1, crossZone: Bool = true) {
        self.zone = zone
        self.profile = profile
        self.watcherStages = watcherStages ?? (profile == "dev" ? Self.devStages : Self.productionStages)
        self.scannerShards = scannerShards
        self.crossZone = crossZone
    }

    /// The zone's topology; nil when it was never configured.
    public static func load(_ c: PostgresConnection) async throws -> ZoneTopology? {
        let rows = try await c.query(
            "SELECT zone, profile, watcher_stages, scanner_shards, cross_zone FROM zone_topology")
        guard rows.count == 1 else { return nil }
        return ZoneTopology(
            zone: rows.string(0, 0), profile: rows.string(0, 1),
            watcherStages: try rows.stringArray(0, 2),
            scannerShards: try rows.int(0, 3), crossZone: try rows.bool(0, 4))
    }

    /// Records this topology (replacing the zone's previous one).
    public func save(_ c: PostgresConnection) async throws {
        try await c.query("""
            INSERT INTO zone_topology (zone, profile, watcher_stages, scanner_shards, cross_zone)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (singleton) DO UPDATE SET zone = EXCLUDED.zone, profile = EXCLUDED.profile,
                watcher_stages = EXCLUDED.watcher_stages, scanner_shards = EXCLUDED.scanner_shards,
                cross_zone = EXCLUDED.cross_zone, updated_at = now()
            """, [.text(zone), .text(profile), .textArray(watcherStages), .int32(Int32(scannerShards)), .bool(crossZone)])
    }
}

import Foundation
import VigilCore
import VigilNodeClient
import VigilPostgres
import VigilVerifier

/// Checks that every block of every file in the File Journal is live in every
/// zone of its user, and that every live zone block is referenced by a file,
/// over its shard of the key space. Young files and blocks (inside the grace
/// period) are not judged. Each step is one page of keys and a handful of
/// batched lookups (array parameters), paced by the runner.
public final class CrossZoneVerifier: SweepCheck {
    public let config: CrossZoneConfig
    let journal: PostgresPool
    let zones: [PostgresPool]

    /// Keys per second a paced pass never goes below.
    static let rateFloor: Double = 100

    public init(config: CrossZoneConfig, journal: PostgresPool) {
        self.config = config
        self.journal = journal
        zones = config.zones.map { PostgresPool(url: $0.databaseURL, size: 2) }
    }

    var graceSeconds: Double { Double(config.grace.components.seconds) + Double(config.grace.components.attoseconds) / 1e18 }

    /// The shard's bounds as query parameters: its first key and the key it stops before (NULL: the end).
    var rangeParameters: [PostgresValue] {
        [.bytea(config.range.start.bytes), config.range.end.map { .bytea($0.bytes) } ?? .null]
    }

    /// The journal's and the zones' rows (the planner's estimates), this shard's share.
    public func estimatePass() async throws -> PassEstimate {
        var total = try await Self.rowEstimate(journal, "file_blocks")
        for zone in zones { total += try await Self.rowEstimate(zone, "blocks") }
        return PassEstimate(units: total / Double(config.shardCount), unit: .items)
    }

    static func rowEstimate(_ pool: PostgresPool, _ table: String) async throws -> Double {
        try await pool.withConnection { c in
            Double(try await c.query("SELECT greatest(reltuples, 0)::int8 FROM pg_class WHERE relname = $1", [.text(table)]).int64(0, 0))
        }
    }

    public func step(at start: CrossZoneCursor?, limiter: SharedRateLimiter) async throws -> Step<CrossZoneCursor> {
        var cursor = start ?? CrossZoneCursor()
        var outcome = StepOutcome()
        let fetched: Int
        if cursor.phase == 0 {
            if cursor.lastKey == nil && cursor.lastFile == 0 { try await coverageCheck(&outcome) }
            fetched = try await journalStep(&cursor, &outcome)
        } else if cursor.phase <= zones.count {
            fetched = try await zoneStep(&cursor, &outcome)
        } else {
            fetched = 0
        }
        if fetched < config.pageSize {
            cursor.phase += 1
            cursor.lastKey = nil
            cursor.lastFile = 0
        }
        await limiter.wait(max(fetched, 1))
        return cursor.phase > zones.count ? .complete(outcome) : .next(cursor, outcome)
    }
}

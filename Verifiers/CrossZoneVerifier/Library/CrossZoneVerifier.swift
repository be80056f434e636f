import Foundation
import VigilCore
import VigilNodeClient
import VigilPostgres
import VigilVerifier

/// Checks that every block of every file in the File Journal is live in every
/// zone of its user, and that every live zone block is referenced by a file.
/// Young files and blocks (inside the grace period) are not judged.
public final class CrossZoneVerifier: SweepCheck {
    public let config: CrossZoneConfig
    let journal: PostgresPool
    let zones: [PostgresPool]

    public init(config: CrossZoneConfig, journal: PostgresPool) {
        self.config = config
        self.journal = journal
        zones = config.zones.map { PostgresPool(url: $0.databaseURL, size: 2) }
    }

    var graceSeconds: Double { Double(config.grace.components.seconds) + Double(config.grace.components.attoseconds) / 1e18 }

    public func estimatePass() async throws -> PassEstimate {
        var total = try await Self.rowEstimate(journal, "file_blocks")
        for zone in zones { total += try await Self.rowEstimate(zone, "blocks") }
        return PassEstimate(units: total, unit: .items)
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

    /// Phase 0: a page of (key, file) from the journal, looked up in each zone of the file's user.
    private func journalStep(_ cursor: inout CrossZoneCursor, _ outcome: inout StepOutcome) async throws -> Int {
        let rows = try await journal.withConnection { [config, graceSeconds, cursor] c in
            try await c.query("""
                SELECT fb.key, fb.file_id, u.name, array_to_string(u.zones, ','), f.created_at < now() - make_interval(secs => $3)
                FROM file_blocks fb JOIN files f ON f.id = fb.file_id JOIN users u ON u.id = f.user_id
                WHERE (fb.key, fb.file_id) > ($1, $2) ORDER BY fb.key, fb.file_id LIMIT $4
                """, [.bytea(cursor.lastKey?.bytes ?? []), .int64(cursor.lastFile), .float64(graceSeconds), .int64(Int64(config.pageSize))])
        }
        guard rows.count > 0 else { return 0 }
        struct Entry { var key: BlockKey; var file: Int64; var user: String; var zones: [String] }
        var entries: [Entry] = []
        for i in 0..<rows.count where try rows.bool(i, 4) {
            entries.append(Entry(key: BlockKey(bytes: rows.bytes(i, 0))!, file: try rows.int64(i, 1), user: rows.string(i, 2),
                                 zones: rows.string(i, 3).split(separator: ",").map(String.init)))
        }
        var unreachable = false
        for (z, zone) in config.zones.enumerated() {
            let wanted = entries.filter { $0.zones.contains(zone.name) }
            guard !wanted.isEmpty else { continue }
            let found = try await lookup(Set(wanted.map(\.key)), in: zones[z])
            var absentOnNodes: Set<BlockKey> = []
            if config.deep {
                let deep = try await missingOnEveryReplica(found.filter { $0.value.live }, zone: zones[z])
                absentOnNodes = deep.missing
                unreachable = unreachable || deep.unreachable
                outcome.unreachable += deep.unreachable ? ["zone/\(zone.name)"] : []
                outcome.cleanPrefixes += deep.answered.map { "zone/\(zone.name)/node/\($0)/unauthorized" }
                for (node, message) in deep.refused.sorted(by: { $0.key < $1.key }) {
                    outcome.unhealthy.append(message)
                    outcome.findings.append(Finding(
                        .nodeUnauthorized, subject: "zone/\(zone.name)/node/\(node)/unauthorized",
                        details: ["zone": zone.name, "node": "\(node)", "detail": message]))
                }
            }
            for entry in wanted {
                let row = found[entry.key]
                let why: String? = row == nil ? "not in the zone's index" : !row!.live ? "deleted in the zone's index"
                    : absentOnNodes.contains(entry.key) ? "on none of its volume's replicas" : nil
                guard let why else { continue }
                outcome.findings.append(Finding(
                    kind: FindingKind.missingInZone.rawValue, subject: "zone/\(zone.name)/block/\(entry.key.hex)/file/\(entry.file)", severity: .critical,
                    details: ["zone": zone.name, "key": entry.key.hex, "file": "\(entry.file)", "user": entry.user, "detail": why]))
            }
        }
        let first = BlockKey(bytes: rows.bytes(0, 0))!, last = BlockKey(bytes: rows.bytes(rows.count - 1, 0))!
        if !unreachable { outcome.cleanKeyRanges.append(CleanKeyRange(from: first.hex, to: last.hex, kinds: ["missing_in_zone"])) }
        outcome.items = rows.count
        cursor.lastKey = last
        cursor.lastFile = try rows.int64(rows.count - 1, 1)
        return rows.count
    }

    /// Phase k: a page of zone k-1's live, judged blocks, looked up in the journal.
    private func zoneStep(_ cursor: inout CrossZoneCursor, _ outcome: inout StepOutcome) async throws -> Int {
        let zone = config.zones[cursor.phase - 1]
        let rows = try await zones[cursor.phase - 1].withConnection { [config, graceSeconds, cursor] c in
            try await c.query("""
                SELECT key, created_at < now() - make_interval(secs => $2) FROM blocks
                WHERE key > $1 AND state = 0 ORDER BY key LIMIT $3
                """, [.bytea(cursor.lastKey?.bytes ?? []), .float64(graceSeconds), .int64(Int64(config.pageSize))])
        }
        guard rows.count > 0 else { return 0 }
        var judged: [BlockKey] = []
        for i in 0..<rows.count where try rows.bool(i, 1) { judged.append(BlockKey(bytes: rows.bytes(i, 0))!) }
        let hex = judged.map(\.hex).joined(separator: ",")
        let referenced = try await journal.withConnection { c in
            let found = try await c.query("""
                SELECT DISTINCT key FROM file_blocks WHERE key IN (SELECT decode(k, 'hex') FROM unnest(string_to_array($1, ',')) AS k)
                """, [.text(hex)])
            return Set((0..<found.count).compactMap { BlockKey(bytes: found.bytes($0, 0)) })
        }
        for key in judged where !referenced.contains(key) {
            outcome.findings.append(Finding(
                kind: FindingKind.unreferencedInZone.rawValue, subject: "zone/\(zone.name)/block/\(key.hex)", severity: .warning,
                details: ["zone": zone.name, "key": key.hex]))
        }
        let first = BlockKey(bytes: rows.bytes(0, 0))!, last = BlockKey(bytes: rows.bytes(rows.count - 1, 0))!
        outcome.cleanKeyRanges.append(CleanKeyRange(from: first.hex, to: last.hex, kinds: ["unreferenced_in_zone"], match: ["zone": zone.name]))
        outcome.items = rows.count
        cursor.lastKey = last
        return rows.count
    }
}

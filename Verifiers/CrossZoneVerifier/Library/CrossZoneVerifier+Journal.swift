import VigilCore
import VigilPostgres
import VigilVerifier

extension CrossZoneVerifier {
    struct JournalEntry { var key: BlockKey; var file: Int64; var user: String; var zones: [String] }

    /// Phase 0: a page of the shard's (key, file) pairs from the journal, looked
    /// up in each zone of the file's user (one batched lookup per zone).
    func journalStep(_ cursor: inout CrossZoneCursor, _ outcome: inout StepOutcome) async throws -> Int {
        let rows = try await journal.withConnection { [config, graceSeconds, cursor, rangeParameters] c in
            try await c.query("""
                SELECT fb.key, fb.file_id, u.name, u.zones, f.created_at < now() - make_interval(secs => $3)
                FROM file_blocks fb JOIN files f ON f.id = fb.file_id JOIN users u ON u.id = f.user_id
                WHERE (fb.key, fb.file_id) > ($1, $2) AND fb.key >= $5 AND ($6::bytea IS NULL OR fb.key < $6)
                ORDER BY fb.key, fb.file_id LIMIT $4
                """, [.bytea(cursor.lastKey?.bytes ?? []), .int64(cursor.lastFile), .float64(graceSeconds), .int64(Int64(config.pageSize))]
                    + rangeParameters)
        }
        guard rows.count > 0 else { return 0 }
        var entries: [JournalEntry] = []
        for i in 0..<rows.count where try rows.bool(i, 4) {
            entries.append(JournalEntry(key: BlockKey(bytes: rows.bytes(i, 0))!, file: try rows.int64(i, 1), user: rows.string(i, 2),
                                        zones: try rows.stringArray(i, 3)))
        }
        var unreachable = false
        for (z, zone) in config.zones.enumerated() {
            let wanted = entries.filter { $0.zones.contains(zone.name) }
            guard !wanted.isEmpty else { continue }
            let found = try await BlockIndex(pool: zones[z]).rows(of: Array(Set(wanted.map(\.key))))
            var absentOnNodes: Set<BlockKey> = []
            if config.deep {
                let deep = try await missingOnEveryReplica(found.values.filter { $0.state == .live }, zone: zones[z])
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
                let why: String? = row == nil ? "not in the zone's index" : row!.state != .live ? "deleted in the zone's index"
                    : absentOnNodes.contains(entry.key) ? "on none of its volume's replicas" : nil
                guard let why else { continue }
                outcome.findings.append(Finding(
                    .missingInZone, subject: "zone/\(zone.name)/block/\(entry.key.hex)/file/\(entry.file)",
                    details: ["zone": zone.name, "key": entry.key.hex, "file": "\(entry.file)", "user": entry.user, "detail": why]))
            }
        }
        let first = BlockKey(bytes: rows.bytes(0, 0))!, last = BlockKey(bytes: rows.bytes(rows.count - 1, 0))!
        if !unreachable { outcome.cleanKeyRanges.append(CleanKeyRange(from: first.hex, to: last.hex, kinds: [FindingKind.missingInZone.rawValue])) }
        outcome.items = rows.count
        cursor.lastKey = last
        cursor.lastFile = try rows.int64(rows.count - 1, 1)
        return rows.count
    }
}

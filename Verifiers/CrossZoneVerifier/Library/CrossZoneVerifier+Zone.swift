import VigilCore
import VigilPostgres
import VigilVerifier

extension CrossZoneVerifier {
    /// Phase k: a page of the shard's live, judged blocks of zone k-1, looked up
    /// in the journal in one statement.
    func zoneStep(_ cursor: inout CrossZoneCursor, _ outcome: inout StepOutcome) async throws -> Int {
        let zone = config.zones[cursor.phase - 1]
        let rows = try await zones[cursor.phase - 1].withConnection { [config, graceSeconds, cursor, rangeParameters] c in
            try await c.query("""
                SELECT key, created_at < now() - make_interval(secs => $2) FROM blocks
                WHERE key > $1 AND key >= $4 AND ($5::bytea IS NULL OR key < $5) AND state = $6 ORDER BY key LIMIT $3
                """, [.bytea(cursor.lastKey?.bytes ?? []), .float64(graceSeconds), .int64(Int64(config.pageSize))]
                    + rangeParameters + [.int16(Int16(BlockState.live.rawValue))])
        }
        guard rows.count > 0 else { return 0 }
        var judged: [BlockKey] = []
        for i in 0..<rows.count where try rows.bool(i, 1) { judged.append(BlockKey(bytes: rows.bytes(i, 0))!) }
        let referenced = try await referencedInJournal(judged)
        for key in judged where !referenced.contains(key) {
            outcome.findings.append(Finding(.unreferencedInZone, subject: "zone/\(zone.name)/block/\(key.hex)", details: ["zone": zone.name, "key": key.hex]))
        }
        let first = BlockKey(bytes: rows.bytes(0, 0))!, last = BlockKey(bytes: rows.bytes(rows.count - 1, 0))!
        outcome.cleanKeyRanges.append(CleanKeyRange(
            from: first.hex, to: last.hex, kinds: [FindingKind.unreferencedInZone.rawValue], match: ["zone": zone.name]))
        outcome.items = rows.count
        cursor.lastKey = last
        return rows.count
    }

    /// Which of `keys` some file of the journal references.
    func referencedInJournal(_ keys: [BlockKey]) async throws -> Set<BlockKey> {
        guard !keys.isEmpty else { return [] }
        return try await journal.withConnection { c in
            let found = try await c.query("SELECT DISTINCT key FROM file_blocks WHERE key = ANY($1)", [.byteaArray(keys.map(\.bytes))])
            return Set((0..<found.count).compactMap { BlockKey(bytes: found.bytes($0, 0)) })
        }
    }
}

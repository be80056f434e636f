import VigilLedger
import VigilPostgres

/// The replica map's reads of a zone's index.
enum ReplicaMapQueries {
    /// The oldest transaction still running, as the next change read's mark;
    /// nil when the index has no change log (a schema before block-index 0007).
    static func mark(_ c: PostgresConnection) async throws -> UInt64? {
        let rows = try await c.query("""
            SELECT pg_snapshot_xmin(pg_current_snapshot())::text, to_regclass('volume_changes') IS NOT NULL
            """)
        return try rows.bool(0, 1) ? UInt64(rows.string(0, 0)) : nil
    }

    /// The volumes changed by transactions from `since` on, and the next mark;
    /// nil when the log cannot say (pruned past `since`, transaction ids behind
    /// it: a restored or replaced database, or no log).
    static func changes(_ c: PostgresConnection, since: UInt64) async throws -> (volumes: Set<Int64>, mark: UInt64)? {
        guard try await mark(c) != nil else { return nil }
        let rows = try await c.query("""
            SELECT pg_snapshot_xmin(pg_current_snapshot())::text, pg_snapshot_xmax(pg_current_snapshot()) >= $1::text::xid8,
                   (SELECT below < $1::text::xid8 FROM volume_changes_pruned),
                   array(SELECT DISTINCT volume_id FROM volume_changes WHERE txid >= $1::text::xid8)
            """, [.text(String(since))])
        guard try rows.bool(0, 1), try rows.bool(0, 2), let next = UInt64(rows.string(0, 0)) else { return nil }
        return (Set(try rows.int64Array(0, 3)), next)
    }

    /// Each volume's replication and live replicas' nodes: those of `ids`, or all.
    static func volumes(_ c: PostgresConnection, ids: Set<Int64>?) async throws -> [Int64: ReplicaMap.Volume] {
        if let ids, ids.isEmpty { return [:] }
        let rows = try await c.query("""
            SELECT v.id, v.replication, array_agg(r.node_id::int8 ORDER BY r.node_id) FILTER (WHERE r.state = $2)
            FROM volumes v LEFT JOIN volume_replicas r ON r.volume_id = v.id
            WHERE $1::int8[] IS NULL OR v.id = ANY($1) GROUP BY v.id
            """, [ids.map { .int64Array(Array($0)) } ?? .null, .text(ReplicaState.live.rawValue)])
        var out: [Int64: ReplicaMap.Volume] = [:]
        for i in 0..<rows.count {
            out[try rows.int64(i, 0)] = ReplicaMap.Volume(replication: try rows.int(i, 1), liveNodes: try rows.int64Array(i, 2).map { Int($0) })
        }
        return out
    }

    static func nodes(_ c: PostgresConnection) async throws -> [Int: NodeRecord] {
        let rows = try await c.query("SELECT id, name, address, state FROM nodes")
        var out: [Int: NodeRecord] = [:]
        for i in 0..<rows.count {
            let id = try rows.int(i, 0)
            out[id] = NodeRecord(id: id, name: rows.string(i, 1), address: rows.string(i, 2), state: rows.string(i, 3))
        }
        return out
    }
}

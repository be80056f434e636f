import VigilCore

/// Where the index places an extent's records.
public struct RecordPlacement: Sendable, Equatable {
    /// Records whose live row is in the extent's own volume.
    public var inVolume: Int
    /// Records whose live row is in another volume.
    public var elsewhere: Int
    /// Whether the index says the volume holds any live block.
    public var volumeHoldsLiveBlocks: Bool
}

/// A volume's replication as the index says it is right now.
public struct VolumeReplicaSet: Sendable, Equatable {
    public var state: String
    public var replication: Int
    public var liveNodes: [Int]
    /// Nodes whose replica the master is rebuilding right now (`repairing`: out
    /// of service while its copy is trashed and a verified one installed).
    public var repairingNodes: [Int] = []
    /// The generation of each live replica, by node (what a repair request names).
    public var liveGenerations: [Int: Int] = [:]
    /// Whether any live block is in the volume.
    public var holdsLiveBlocks: Bool
}

extension BlockIndex {
    /// The current rows of `keys` (one round trip), for re-reading before accusing.
    public func rows(of keys: [BlockKey]) async throws -> [BlockKey: BlockRow] {
        guard !keys.isEmpty else { return [:] }
        let packed = Self.pack(keys)
        return try await pool.withConnection { c in
            let rows = try await c.query("""
                WITH k AS (SELECT substring($1 FROM i * 32 + 1 FOR 32) AS key FROM generate_series(0, length($1) / 32 - 1) AS i)
                SELECT b.key, b.volume_id, b.length, b.checksum, b.state FROM k JOIN blocks b ON b.key = k.key
                """, [.bytea(packed)]).blockRows()
            return Dictionary(rows.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// The volumes' states and live replicas as they are now (no cache).
    public func replicaSets(of volumes: Set<Int64>) async throws -> [Int64: VolumeReplicaSet] {
        guard !volumes.isEmpty else { return [:] }
        return try await pool.withConnection { c in
            let rows = try await c.query("""
                SELECT v.id, v.state, v.replication,
                       array_agg(r.node_id ORDER BY r.node_id) FILTER (WHERE r.state = 'live'),
                       EXISTS (SELECT 1 FROM blocks b WHERE b.volume_id = v.id AND b.state = 0),
                       array_agg(r.node_id ORDER BY r.node_id) FILTER (WHERE r.state = 'repairing'),
                       array_agg(r.generation::int8 ORDER BY r.node_id) FILTER (WHERE r.state = 'live')
                FROM volumes v LEFT JOIN volume_replicas r ON r.volume_id = v.id
                WHERE v.id = ANY($1) GROUP BY v.id
                """, [.int64Array(Array(volumes))])
            var out: [Int64: VolumeReplicaSet] = [:]
            for i in 0..<rows.count {
                let liveNodes = try rows.int64Array(i, 3).map { Int($0) }
                out[try rows.int64(i, 0)] = VolumeReplicaSet(
                    state: rows.string(i, 1), replication: try rows.int(i, 2), liveNodes: liveNodes,
                    repairingNodes: try rows.int64Array(i, 5).map { Int($0) },
                    liveGenerations: Dictionary(uniqueKeysWithValues: zip(liveNodes, try rows.int64Array(i, 6).map { Int($0) })),
                    holdsLiveBlocks: try rows.bool(i, 4))
            }
            return out
        }
    }

    static func pack(_ keys: [BlockKey]) -> [UInt8] {
        var packed: [UInt8] = []
        packed.reserveCapacity(keys.count * 32)
        for key in keys { packed += key.bytes }
        return packed
    }

    /// Where the live rows of `keys` are, relative to `volume` (one round trip;
    /// the keys travel as one bytea of 32-byte keys).
    public func placement(of keys: [BlockKey], volume: Int64) async throws -> RecordPlacement {
        let packed = Self.pack(keys)
        return try await pool.withConnection { c in
            let rows = try await c.query("""
                WITH k AS (SELECT substring($1 FROM i * 32 + 1 FOR 32) AS key FROM generate_series(0, length($1) / 32 - 1) AS i)
                SELECT count(*) FILTER (WHERE b.volume_id = $2), count(*) FILTER (WHERE b.volume_id <> $2),
                       EXISTS (SELECT 1 FROM blocks WHERE volume_id = $2 AND state = 0)
                FROM k JOIN blocks b ON b.key = k.key AND b.state = 0
                """, [.bytea(packed), .int64(volume)])
            return RecordPlacement(inVolume: try rows.int(0, 0), elsewhere: try rows.int(0, 1), volumeHoldsLiveBlocks: try rows.bool(0, 2))
        }
    }
}

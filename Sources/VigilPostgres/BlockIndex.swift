import VigilCore

/// The statements the store's daemons run against a zone's block index.
public struct BlockIndex: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    // MARK: Blocks

    public func lookup(_ key: BlockKey) async throws -> BlockRow? {
        try await pool.withConnection { c in
            try await c.query(
                "SELECT key, volume_id, length, checksum, state FROM blocks WHERE key = $1", [.bytea(key.bytes)]
            ).blockRows().first
        }
    }

    /// Commits a block whose replicas are all written. A deleted row for the
    /// same key is replaced (the block was written again). Refused (a retriable
    /// error, the write is not acknowledged) when the volume was retired
    /// meanwhile: compaction already moved its blocks, so a row pointing at it
    /// would point at extents on their way to the trash. The volume row is
    /// locked for the commit, so compaction's retirement and a commit serialize.
    public func commit(_ row: BlockRow) async throws {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                WITH v AS (SELECT id FROM volumes WHERE id = $2 AND state <> 'retired' FOR SHARE)
                INSERT INTO blocks (key, volume_id, length, checksum, state) SELECT $1, v.id, $3, $4, 0 FROM v
                ON CONFLICT (key) DO UPDATE SET volume_id = EXCLUDED.volume_id, length = EXCLUDED.length,
                    checksum = EXCLUDED.checksum, state = 0, created_at = now(), deleted_at = NULL
                WHERE blocks.state = 1
                RETURNING 1
                """, [.bytea(row.key.bytes), .int64(row.volume), .int32(row.length), .int32(Int32(bitPattern: row.checksum))])
            guard rows.count == 0 else { return }
            // Nothing written: the key is live already (a concurrent write of the same bytes), or the volume is gone.
            let usable = try await c.query("SELECT 1 FROM volumes WHERE id = $1 AND state <> 'retired'", [.int64(row.volume)]).count > 0
            if !usable { throw BlockIndexError.volumeRetired(row.volume) }
        }
    }

    /// Marks a live block deleted; false when there was none.
    public func markDeleted(_ key: BlockKey) async throws -> Bool {
        try await pool.withConnection { c in
            try await c.query(
                "UPDATE blocks SET state = 1, deleted_at = now() WHERE key = $1 AND state = 0", [.bytea(key.bytes)]
            ).affectedRows == 1
        }
    }

    // MARK: Nodes

    public func nodes() async throws -> [NodeRecord] {
        try await pool.withConnection { c in
            let rows = try await c.query("SELECT id, name, address, state FROM nodes ORDER BY id")
            return try (0..<rows.count).map {
                NodeRecord(id: try rows.int($0, 0), name: rows.string($0, 1), address: rows.string($0, 2), state: rows.string($0, 3))
            }
        }
    }

    /// Adds or updates a node.
    public func register(_ node: NodeRecord) async throws {
        try await pool.withConnection { c in
            try await c.query("""
                INSERT INTO nodes (id, name, address, state) VALUES ($1, $2, $3, $4)
                ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, address = EXCLUDED.address, state = EXCLUDED.state
                """, [.int32(Int32(node.id)), .text(node.name), .text(node.address), .text(node.state)])
        }
    }

    // MARK: Volumes

    /// Creates a volume row placed on `nodes`, in one transaction.
    public func createVolume(on nodes: [Int], replication: Int) async throws -> Int64 {
        try await pool.withConnection { c in
            try await c.transaction { tx in
                let id = try await tx.query("SELECT nextval('volume_ids')").int64(0, 0)
                try await tx.query(
                    "INSERT INTO volumes (id, replication) VALUES ($1, $2)", [.int64(id), .int16(Int16(replication))])
                for node in nodes {
                    try await tx.query(
                        "INSERT INTO volume_replicas (volume_id, node_id) VALUES ($1, $2)", [.int64(id), .int32(Int32(node))])
                }
                return id
            }
        }
    }

    public func volume(_ id: Int64) async throws -> VolumeRecord? {
        try await volumes(where: "id = $1", [.int64(id)]).first
    }

    public func volumes(inState state: String) async throws -> [VolumeRecord] {
        try await volumes(where: "state = $1", [.text(state)])
    }

    private func volumes(where condition: String, _ parameters: [PostgresValue]) async throws -> [VolumeRecord] {
        try await pool.withConnection { c in
            let rows = try await c.query(
                "SELECT id, state, generation, replication, size_bytes FROM volumes WHERE \(condition) ORDER BY id", parameters)
            return try (0..<rows.count).map {
                VolumeRecord(
                    id: try rows.int64($0, 0), state: rows.string($0, 1), generation: try rows.int($0, 2),
                    replication: try rows.int($0, 3), sizeBytes: try rows.int64($0, 4))
            }
        }
    }

    /// Moves a volume from one of `from` states to `to`; false when it was in none of them.
    public func setVolumeState(_ id: Int64, from: [String], to: String) async throws -> Bool {
        try await pool.withConnection { c in
            try await c.query("""
                UPDATE volumes SET state = $2, sealed_at = CASE WHEN $2 = 'sealed' THEN now() ELSE sealed_at END
                WHERE id = $1 AND state = ANY($3)
                """, [.int64(id), .text(to), .textArray(from)]).affectedRows == 1
        }
    }

    /// Adds committed bytes to a volume; returns its new size.
    public func addVolumeBytes(_ id: Int64, _ bytes: Int) async throws -> Int64 {
        try await pool.withConnection { c in
            try await c.query(
                "UPDATE volumes SET size_bytes = size_bytes + $2 WHERE id = $1 RETURNING size_bytes", [.int64(id), .int64(Int64(bytes))]
            ).int64(0, 0)
        }
    }

    public func replicas(of volume: Int64) async throws -> [ReplicaRecord] {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                SELECT r.volume_id, n.id, n.name, n.address, n.state, r.generation, r.state
                FROM volume_replicas r JOIN nodes n ON n.id = r.node_id
                WHERE r.volume_id = $1 ORDER BY n.id
                """, [.int64(volume)])
            return try (0..<rows.count).map {
                ReplicaRecord(
                    volume: try rows.int64($0, 0),
                    node: NodeRecord(id: try rows.int($0, 1), name: rows.string($0, 2), address: rows.string($0, 3), state: rows.string($0, 4)),
                    generation: try rows.int($0, 5), state: rows.string($0, 6))
            }
        }
    }

    public func setReplicaState(volume: Int64, node: Int, state: String) async throws {
        try await pool.withConnection { c in
            try await c.query(
                "UPDATE volume_replicas SET state = $3, updated_at = now() WHERE volume_id = $1 AND node_id = $2",
                [.int64(volume), .int32(Int32(node)), .text(state)])
        }
    }

    /// Live blocks committed to a volume.
    public func liveKeys(in volume: Int64) async throws -> [BlockKey] {
        try await pool.withConnection { c in
            let rows = try await c.query(
                "SELECT key FROM blocks WHERE volume_id = $1 AND state = 0 ORDER BY key", [.int64(volume)])
            return (0..<rows.count).compactMap { BlockKey(bytes: rows.bytes($0, 0)) }
        }
    }
}

/// A block-index statement refused for the index's own consistency.
public enum BlockIndexError: Error, CustomStringConvertible {
    /// The volume was retired (compacted away) before the commit.
    case volumeRetired(Int64)

    public var description: String {
        switch self {
        case .volumeRetired(let v): "volume \(v) was retired (compacted) before the write committed: write it again"
        }
    }
}

import Foundation

/// Installs as recorded instructions, and what justifies an extent appearing
/// in a node's `extents/`.
extension BlockIndex {
    /// Records an install instruction before an extent is sent to a node; returns its id.
    public func recordInstall(node: Int, volume: Int64, generation: Int, reason: String) async throws -> Int64 {
        try await recordInstruction(kind: "install", node: node, volume: volume, generation: generation, reason: reason)
    }

    /// The id of the newest instruction recorded so far (0 if none). Ids grow
    /// with every instruction whatever any host's clock says, so "recorded
    /// before the referee saw an event" is "id at most this, read right after".
    public func instructionWatermark() async throws -> Int64 {
        try await pool.withConnection { c in
            try await c.query("SELECT coalesce(max(id), 0) FROM extent_instructions").int64(0, 0)
        }
    }

    /// Whether, among the instructions up to `watermark` (read when the
    /// extent's appearance was seen), the latest for it is an install: an older
    /// install does not justify the extent coming back after a later trash, and
    /// a trash recorded after the watermark (the next repair of the fresh copy)
    /// does not make the install unjustified. Ordered by id, not `created_at`:
    /// the database's clock and the referee's may disagree.
    public func installPrecedes(node: Int, volume: Int64, generation: Int, asOf watermark: Int64) async throws -> Bool {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                SELECT kind FROM extent_instructions
                WHERE node_id = $1 AND volume_id = $2 AND generation = $3 AND id <= $4
                ORDER BY id DESC LIMIT 1
                """, [.int32(Int32(node)), .int64(volume), .int32(Int32(generation)), .int64(watermark)])
            return rows.count == 1 && rows.string(0, 0) == "install"
        }
    }

    /// Extents of `node` that were moved to trash by an executed instruction and
    /// neither installed nor restored since: none of them belongs in `extents/`.
    public func trashedSinceLastInstall(node: Int) async throws -> Set<[Int64]> {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                SELECT volume_id, generation FROM extent_instructions t
                WHERE t.node_id = $1 AND t.kind = 'trash' AND t.executed_at IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM extent_instructions later WHERE later.node_id = t.node_id AND later.volume_id = t.volume_id
                    AND later.generation = t.generation AND later.kind IN ('install', 'restore') AND later.id > t.id)
                """, [.int32(Int32(node))])
            return Set(try (0..<rows.count).map { [try rows.int64($0, 0), try rows.int64($0, 1)] })
        }
    }

    /// Whether the extent is a volume the index created on this node within the
    /// last `seconds` (an allocator's or GC's new volume: its replica row of that
    /// generation is written before the node creates the file).
    public func isNewVolume(node: Int, volume: Int64, generation: Int, withinSeconds seconds: Double) async throws -> Bool {
        try await pool.withConnection { c in
            try await c.query("""
                SELECT 1 FROM volumes v JOIN volume_replicas r ON r.volume_id = v.id
                WHERE v.id = $2 AND r.node_id = $1 AND r.generation = $3 AND v.created_at > now() - make_interval(secs => $4)
                """, [.int32(Int32(node)), .int64(volume), .int32(Int32(generation)), .float64(seconds)]).count > 0
        }
    }

    /// The (volume, generation) of every replica row the index has for `node`, whatever its state or age.
    public func replicaNames(node: Int) async throws -> Set<[Int64]> {
        try await pool.withConnection { c in
            let rows = try await c.query("SELECT volume_id, generation FROM volume_replicas WHERE node_id = $1", [.int32(Int32(node))])
            return Set(try (0..<rows.count).map { [try rows.int64($0, 0), try rows.int64($0, 1)] })
        }
    }

    /// Extents of `node` whose latest instruction is an install.
    public func installedExtents(node: Int) async throws -> Set<[Int64]> {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                SELECT DISTINCT ON (volume_id, generation) volume_id, generation, kind FROM extent_instructions
                WHERE node_id = $1 ORDER BY volume_id, generation, id DESC
                """, [.int32(Int32(node))])
            return Set(try (0..<rows.count).filter { rows.string($0, 2) == "install" }.map { [try rows.int64($0, 0), try rows.int64($0, 1)] })
        }
    }
}

extension BlockIndex {
    /// Whether the extent was discarded by a repair: its latest instruction other
    /// than the unlink that ends its stay in trash is a trash, and after it an
    /// install of a newer generation of the same volume on the same node was
    /// recorded and executed. Such a copy is known to be
    /// bad (that is why it was replaced); only the store's role writes
    /// instructions, so a verifier cannot forge this.
    public func replacedByRepair(node: Int, volume: Int64, generation: Int) async throws -> Bool {
        try await pool.withConnection { c in
            try await c.query("""
                WITH last AS (
                    SELECT id, kind FROM extent_instructions
                    WHERE node_id = $1 AND volume_id = $2 AND generation = $3 AND kind <> 'unlink' ORDER BY id DESC LIMIT 1)
                SELECT 1 FROM last JOIN extent_instructions i
                  ON i.node_id = $1 AND i.volume_id = $2 AND i.generation > $3 AND i.kind = 'install'
                 AND i.id > last.id AND i.executed_at IS NOT NULL
                WHERE last.kind = 'trash' LIMIT 1
                """, [.int32(Int32(node)), .int64(volume), .int32(Int32(generation))]).count > 0
        }
    }
}

extension BlockIndex {
    /// The latest instruction recorded for one extent: its kind and whether it was executed.
    public func latestInstruction(node: Int, volume: Int64, generation: Int) async throws -> (kind: String, executed: Bool)? {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                SELECT kind, executed_at IS NOT NULL FROM extent_instructions
                WHERE node_id = $1 AND volume_id = $2 AND generation = $3 ORDER BY id DESC LIMIT 1
                """, [.int32(Int32(node)), .int64(volume), .int32(Int32(generation))])
            return rows.count == 1 ? (rows.string(0, 0), try rows.bool(0, 1)) : nil
        }
    }
}

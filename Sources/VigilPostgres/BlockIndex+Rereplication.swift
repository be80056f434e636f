import VigilCore

/// One replica of a dead node being re-created elsewhere (`rereplications`).
public struct Rereplication: Sendable, Equatable {
    public var id: Int64
    public var volume: Int64
    public var lostNode: Int
    public var attempts: Int
}

/// A live block's index record, to check a copy against.
public struct LiveRecord: Sendable, Equatable {
    public var key: BlockKey
    public var length: Int
    public var checksum: UInt32
}

extension BlockIndex {
    /// Records a node as lost for good (`dead`), keeping the first time it was declared.
    public func declareDead(node: Int, reason: String) async throws -> Bool {
        try await pool.withConnection { c in
            try await c.query("""
                UPDATE nodes SET state = 'dead', dead_at = coalesce(dead_at, now()), dead_reason = coalesce(dead_reason, $2)
                WHERE id = $1 AND state <> 'retired'
                """, [.int32(Int32(node)), .text(reason)]).affectedRows == 1
        }
    }

    /// In one transaction: marks up to `limit` of the dead node's live (or repairing)
    /// replicas `lost` and opens a re-replication for each; returns how many.
    public func markLost(node: Int, limit: Int) async throws -> Int {
        try await pool.withConnection { c in
            try await c.transaction { tx in
                let rows = try await tx.query("""
                    WITH lost AS (
                        UPDATE volume_replicas SET state = 'lost', updated_at = now()
                        WHERE node_id = $1 AND (volume_id, node_id) IN (
                            SELECT volume_id, node_id FROM volume_replicas WHERE node_id = $1 AND state IN ('live', 'repairing')
                            ORDER BY volume_id LIMIT $2)
                        RETURNING volume_id)
                    INSERT INTO rereplications (volume_id, lost_node_id, node_lost_at)
                    SELECT lost.volume_id, $1, (SELECT coalesce(dead_at, now()) FROM nodes WHERE id = $1) FROM lost
                    ON CONFLICT (volume_id, lost_node_id) DO NOTHING RETURNING 1
                    """, [.int32(Int32(node)), .int64(Int64(limit))])
                return rows.count
            }
        }
    }

    /// Replicas of `node` still counted live or repairing.
    public func unlostReplicas(node: Int) async throws -> Int {
        try await pool.withConnection { c in
            try await c.query(
                "SELECT count(*)::int8 FROM volume_replicas WHERE node_id = $1 AND state IN ('live', 'repairing')", [.int32(Int32(node))]
            ).int(0, 0)
        }
    }

    /// Re-replications not finished yet, oldest first.
    public func unfinishedRereplications() async throws -> [Rereplication] {
        try await pool.withConnection { c in
            let rows = try await c.query(
                "SELECT id, volume_id, lost_node_id, attempts FROM rereplications WHERE finished_at IS NULL ORDER BY id")
            return try (0..<rows.count).map {
                Rereplication(id: try rows.int64($0, 0), volume: try rows.int64($0, 1), lostNode: try rows.int($0, 2), attempts: try rows.int($0, 3))
            }
        }
    }

    /// Notes a failed attempt (the work stays pending).
    public func noteRereplicationAttempt(_ id: Int64, error: String) async throws {
        try await pool.withConnection { c in
            try await c.query(
                "UPDATE rereplications SET attempts = attempts + 1, last_error = $2 WHERE id = $1", [.int64(id), .text(error)])
        }
    }

    /// In one transaction: the copy on `target` becomes a live replica of generation
    /// `generation`, and the re-replication is finished (nothing to copy: no target).
    public func finishRereplication(_ work: Rereplication, target: Int?, generation: Int, instruction: Int64?) async throws {
        try await pool.withConnection { c in
            try await c.transaction { tx in
                if let target {
                    try await tx.query("""
                        INSERT INTO volume_replicas (volume_id, node_id, generation, state) VALUES ($1, $2, $3, 'live')
                        ON CONFLICT (volume_id, node_id) DO UPDATE SET state = 'live', generation = EXCLUDED.generation, updated_at = now()
                        """, [.int64(work.volume), .int32(Int32(target)), .int32(Int32(generation))])
                    try await tx.query(
                        "UPDATE volumes SET generation = greatest(generation, $2) WHERE id = $1", [.int64(work.volume), .int32(Int32(generation))])
                }
                try await tx.query("""
                    UPDATE rereplications SET finished_at = now(), target_node_id = $2, instruction_id = $3, attempts = attempts + 1 WHERE id = $1
                    """, [.int64(work.id), target.map { .int32(Int32($0)) } ?? .null, instruction.map { .int64($0) } ?? .null])
            }
        }
    }

    /// Re-replications started within the window, per lost node (the blast-radius history).
    public func rereplicationSteps(windowSeconds: Double) async throws -> [Int: Int] {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                SELECT lost_node_id, count(*)::int8 FROM rereplications WHERE started_at > now() - make_interval(secs => $1) GROUP BY 1
                """, [.float64(windowSeconds)])
            var out: [Int: Int] = [:]
            for i in 0..<rows.count { out[try rows.int(i, 0)] = try rows.int(i, 1) }
            return out
        }
    }

    /// Volumes that hold data (not retired) with fewer live replicas than their replication.
    public func volumesBelowReplication() async throws -> Int {
        try await pool.withConnection { c in
            try await c.query("""
                SELECT count(*)::int8 FROM volumes v WHERE v.state <> 'retired'
                AND (SELECT count(*) FROM volume_replicas r WHERE r.volume_id = v.id AND r.state = 'live') < v.replication
                """).int(0, 0)
        }
    }

    /// The index records of a volume's live blocks.
    public func liveRecords(in volume: Int64) async throws -> [LiveRecord] {
        try await pool.withConnection { c in
            let rows = try await c.query("SELECT key, length, checksum FROM blocks WHERE volume_id = $1 AND state = 0", [.int64(volume)])
            return try (0..<rows.count).map { i in
                guard let key = BlockKey(bytes: rows.bytes(i, 0)) else { throw PostgresError(code: .decoding, message: "a block key of the wrong length") }
                return LiveRecord(key: key, length: try rows.int(i, 1), checksum: UInt32(bitPattern: Int32(truncatingIfNeeded: try rows.int64(i, 2))))
            }
        }
    }
}

extension BlockIndex {
    /// Asks the master to rebuild one replica, naming the generation judged (the
    /// master drops a request about a generation the replica no longer has); a
    /// request already outstanding about that generation is kept.
    public func requestRepair(volume: Int64, node: Int, generation: Int?, reason: String, requestedBy: String) async throws {
        try await pool.withConnection { c in
            try await c.query("""
                INSERT INTO repair_queue (volume_id, node_id, generation, reason, requested_by) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (volume_id, node_id, generation) WHERE state IN ('pending', 'running') DO NOTHING
                """, [.int64(volume), .int32(Int32(node)), generation.map { .int32(Int32($0)) } ?? .null, .text(reason), .text(requestedBy)])
        }
    }

    /// An operator's rebuild of the replica as it is now: carried out even over
    /// a copy that verifies clean (see `RepairRequest.isOperatorRebuild`).
    public func requestRebuild(volume: Int64, node: Int, reason: String) async throws {
        try await pool.withConnection { c in
            try await c.query("""
                INSERT INTO repair_queue (volume_id, node_id, generation, reason, requested_by)
                VALUES ($1, $2, (SELECT generation FROM volume_replicas WHERE volume_id = $1 AND node_id = $2), $3, $4)
                ON CONFLICT (volume_id, node_id, generation) WHERE state IN ('pending', 'running') DO NOTHING
                """, [.int64(volume), .int32(Int32(node)), .text(reason), .text(RepairRequest.operatorRequester)])
        }
    }

    /// Claims the oldest pending repair (or one left running by a master that died
    /// more than `staleAfterSeconds` ago).
    public func claimRepair(staleAfterSeconds: Int = 300) async throws -> RepairRequest? {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                UPDATE repair_queue SET state = 'running', attempts = attempts + 1, updated_at = now()
                WHERE id = (
                    SELECT id FROM repair_queue
                    WHERE state = 'pending' OR (state = 'running' AND \(Self.claimedLongAgoOrInFuture))
                    ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, volume_id, node_id, generation, reason, requested_by, attempts
                """, [.float64(Double(staleAfterSeconds))])
            guard rows.count == 1 else { return nil }
            return try Self.repairRequest(rows)
        }
    }

    /// A running claim the master may take over, by the server's wall clock: one
    /// not touched for `$1` seconds (its master died), or one stamped further
    /// than that in the future, which no master wrote (a squatter's row).
    static let claimedLongAgoOrInFuture = """
        (updated_at < clock_timestamp() - make_interval(secs => $1) OR updated_at > clock_timestamp() + make_interval(secs => $1))
        """

    static func repairRequest(_ rows: PostgresRows) throws -> RepairRequest {
        RepairRequest(
            id: try rows.int64(0, 0), volume: try rows.int64(0, 1), node: try rows.int(0, 2),
            generation: rows.isNull(0, 3) ? nil : try rows.int(0, 3),
            reason: rows.string(0, 4), requestedBy: rows.string(0, 5), attempts: try rows.int(0, 6))
    }

    /// Records a repair's outcome: done, failed for good, superseded or refused
    /// (not carried out), or back to pending to retry.
    public func finishRepair(_ id: Int64, state: String, error: String? = nil) async throws {
        try await pool.withConnection { c in
            try await c.query(
                "UPDATE repair_queue SET state = $2, last_error = $3, updated_at = now() WHERE id = $1",
                [.int64(id), .text(state), error.map { .text($0) } ?? .null])
        }
    }

    /// Repairs in each state, for status and tests.
    public func repairCounts() async throws -> [String: Int] {
        try await pool.withConnection { c in
            let rows = try await c.query("SELECT state, count(*) FROM repair_queue GROUP BY state")
            var out: [String: Int] = [:]
            for i in 0..<rows.count { out[rows.string(i, 0)] = try rows.int(i, 1) }
            return out
        }
    }
}

extension BlockIndex {
    /// Claims the oldest pending repair not in `excluding` (those deferred this round).
    public func claimRepair(excluding: [Int64], staleAfterSeconds: Int = 300) async throws -> RepairRequest? {
        guard !excluding.isEmpty else { return try await claimRepair(staleAfterSeconds: staleAfterSeconds) }
        return try await pool.withConnection { c in
            let rows = try await c.query("""
                UPDATE repair_queue SET state = 'running', attempts = attempts + 1, updated_at = now()
                WHERE id = (
                    SELECT id FROM repair_queue
                    WHERE (state = 'pending' OR (state = 'running' AND \(Self.claimedLongAgoOrInFuture)))
                      AND NOT (id = ANY ($2))
                    ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, volume_id, node_id, generation, reason, requested_by, attempts
                """, [.float64(Double(staleAfterSeconds)), .int64Array(excluding)])
            guard rows.count == 1 else { return nil }
            return try Self.repairRequest(rows)
        }
    }

    /// Puts a claimed repair back in the queue without counting the attempt: a
    /// refusal (the blast-radius cap) is not a failure, and must not exhaust it.
    public func deferRepair(_ id: Int64, reason: String) async throws {
        try await pool.withConnection { c in
            try await c.query("""
                UPDATE repair_queue SET state = 'pending', attempts = greatest(attempts - 1, 0), last_error = $2, updated_at = now() WHERE id = $1
                """, [.int64(id), .text(reason)])
        }
    }
}

extension BlockIndex {
    /// Replicas a repair took out of service and did not bring back: `trashed` or
    /// `repairing` after the repairs of that (volume, node) all finished, on a
    /// volume that holds live blocks and has fewer live replicas than its
    /// replication, with no re-replication of it under way.
    public func replicasLeftShortByRepair() async throws -> [(volume: Int64, node: Int)] {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                SELECT r.volume_id, r.node_id FROM volume_replicas r JOIN volumes v ON v.id = r.volume_id
                WHERE r.state IN ('trashed', 'repairing') AND v.state <> 'retired'
                  AND (SELECT count(*) FROM volume_replicas l WHERE l.volume_id = v.id AND l.state = 'live') < v.replication
                  AND EXISTS (SELECT 1 FROM blocks b WHERE b.volume_id = v.id AND b.state = 0)
                  AND EXISTS (SELECT 1 FROM repair_queue q WHERE q.volume_id = r.volume_id AND q.node_id = r.node_id)
                  AND NOT EXISTS (SELECT 1 FROM repair_queue q WHERE q.volume_id = r.volume_id AND q.node_id = r.node_id
                                  AND q.state IN ('pending', 'running'))
                  AND NOT EXISTS (SELECT 1 FROM rereplications w WHERE w.volume_id = r.volume_id AND w.finished_at IS NULL)
                ORDER BY 1, 2
                """)
            return try (0..<rows.count).map { (try rows.int64($0, 0), try rows.int($0, 1)) }
        }
    }

    /// Opens a re-replication of `volume` for the copy a failed repair left out
    /// of service on `node` (a replica left `repairing` becomes `lost`, so the
    /// node may take the new copy); one finished earlier for the same (volume,
    /// node) is reopened. Returns whether one was opened.
    public func openRereplication(volume: Int64, leftShortOn node: Int) async throws -> Bool {
        try await pool.withConnection { c in
            try await c.query("""
                WITH lost AS (
                    UPDATE volume_replicas SET state = 'lost', updated_at = now() WHERE volume_id = $1 AND node_id = $2 AND state = 'repairing')
                INSERT INTO rereplications (volume_id, lost_node_id, node_lost_at) VALUES ($1, $2, now())
                ON CONFLICT (volume_id, lost_node_id) DO UPDATE
                SET node_lost_at = now(), started_at = now(), finished_at = NULL, target_node_id = NULL,
                    instruction_id = NULL, attempts = 0, last_error = NULL
                WHERE rereplications.finished_at IS NOT NULL
                RETURNING 1
                """, [.int64(volume), .int32(Int32(node))]).count == 1
        }
    }
}

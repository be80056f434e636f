extension BlockIndex {
    /// Asks the master to rebuild one replica; a request already outstanding is kept.
    public func requestRepair(volume: Int64, node: Int, reason: String, requestedBy: String) async throws {
        try await pool.withConnection { c in
            try await c.query("""
                INSERT INTO repair_queue (volume_id, node_id, reason, requested_by) VALUES ($1, $2, $3, $4)
                ON CONFLICT (volume_id, node_id) WHERE state IN ('pending', 'running') DO NOTHING
                """, [.int64(volume), .int32(Int32(node)), .text(reason), .text(requestedBy)])
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
                    WHERE state = 'pending' OR (state = 'running' AND updated_at < now() - make_interval(secs => $1))
                    ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, volume_id, node_id, reason, attempts
                """, [.float64(Double(staleAfterSeconds))])
            guard rows.count == 1 else { return nil }
            return RepairRequest(
                id: try rows.int64(0, 0), volume: try rows.int64(0, 1), node: try rows.int(0, 2),
                reason: rows.string(0, 3), attempts: try rows.int(0, 4))
        }
    }

    /// Records a repair's outcome: done, failed for good, or back to pending to retry.
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
                    WHERE (state = 'pending' OR (state = 'running' AND updated_at < now() - make_interval(secs => $1)))
                      AND NOT (id = ANY ($2))
                    ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED)
                RETURNING id, volume_id, node_id, reason, attempts
                """, [.float64(Double(staleAfterSeconds)), .int64Array(excluding)])
            guard rows.count == 1 else { return nil }
            return RepairRequest(
                id: try rows.int64(0, 0), volume: try rows.int64(0, 1), node: try rows.int(0, 2),
                reason: rows.string(0, 3), attempts: try rows.int(0, 4))
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

import VigilCore

/// An instruction to move an extent to trash, unlink it, or restore it —
/// recorded in the index before it is sent to the node.
public struct ExtentInstruction: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var node: Int
    public var volume: Int64
    public var generation: Int
    public var reason: String
    public var executed: Bool
}

/// The latest trash inspection of one trash extent.
public struct TrashInspection: Sendable, Equatable {
    public var passed: Bool
    public var ageSeconds: Double
    public var blocksChecked: Int64
    public var failures: Int64
}

extension BlockIndex {
    /// Records an instruction; returns its id.
    public func recordInstruction(kind: String, node: Int, volume: Int64, generation: Int, reason: String) async throws -> Int64 {
        try await pool.withConnection { c in
            try await c.query("""
                INSERT INTO extent_instructions (kind, node_id, volume_id, generation, reason) VALUES ($1, $2, $3, $4, $5) RETURNING id
                """, [.text(kind), .int32(Int32(node)), .int64(volume), .int32(Int32(generation)), .text(reason)]).int64(0, 0)
        }
    }

    public func markExecuted(_ id: Int64) async throws {
        try await pool.withConnection { c in
            try await c.query("UPDATE extent_instructions SET executed_at = now() WHERE id = $1", [.int64(id)])
        }
    }

    public func pendingInstructions(kind: String) async throws -> [ExtentInstruction] {
        try await instructions(where: "kind = $1 AND executed_at IS NULL", [.text(kind)])
    }

    /// The instructions of `kind` recorded for one extent, newest first.
    public func instructions(kind: String, node: Int, volume: Int64, generation: Int) async throws -> [ExtentInstruction] {
        try await instructions(
            where: "kind = $1 AND node_id = $2 AND volume_id = $3 AND generation = $4",
            [.text(kind), .int32(Int32(node)), .int64(volume), .int32(Int32(generation))])
    }

    /// Extents moved to trash and neither unlinked nor restored since.
    public func trashedExtents() async throws -> [ExtentInstruction] {
        try await instructions(where: """
            kind = 'trash' AND executed_at IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM extent_instructions later WHERE later.kind IN ('unlink', 'restore') AND later.executed_at IS NOT NULL
                AND later.node_id = extent_instructions.node_id AND later.volume_id = extent_instructions.volume_id
                AND later.generation = extent_instructions.generation AND later.id > extent_instructions.id)
            """, [])
    }

    private func instructions(where condition: String, _ parameters: [PostgresValue]) async throws -> [ExtentInstruction] {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                SELECT id, kind, node_id, volume_id, generation, reason, executed_at IS NOT NULL FROM extent_instructions
                WHERE \(condition) ORDER BY id DESC
                """, parameters)
            return try (0..<rows.count).map {
                ExtentInstruction(
                    id: try rows.int64($0, 0), kind: rows.string($0, 1), node: try rows.int($0, 2), volume: try rows.int64($0, 3),
                    generation: try rows.int($0, 4), reason: rows.string($0, 5), executed: try rows.bool($0, 6))
            }
        }
    }

    public func recordInspection(node: Int, volume: Int64, generation: Int, passed: Bool, checked: Int, failures: Int) async throws {
        try await pool.withConnection { c in
            try await c.query("""
                INSERT INTO trash_inspections (node_id, volume_id, generation, passed, blocks_checked, failures) VALUES ($1, $2, $3, $4, $5, $6)
                """, [.int32(Int32(node)), .int64(volume), .int32(Int32(generation)), .bool(passed), .int64(Int64(checked)), .int64(Int64(failures))])
        }
    }

    public func latestInspection(node: Int, volume: Int64, generation: Int) async throws -> TrashInspection? {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                SELECT passed, extract(epoch FROM now() - inspected_at)::float8, blocks_checked, failures FROM trash_inspections
                WHERE node_id = $1 AND volume_id = $2 AND generation = $3 ORDER BY inspected_at DESC, id DESC LIMIT 1
                """, [.int32(Int32(node)), .int64(volume), .int32(Int32(generation))])
            guard rows.count == 1 else { return nil }
            return TrashInspection(passed: try rows.bool(0, 0), ageSeconds: try rows.float64(0, 1), blocksChecked: try rows.int64(0, 2), failures: try rows.int64(0, 3))
        }
    }

    /// Whether the extent may be unlinked: a passed inspection written by the
    /// inspector's role (`inspected_by`, stamped by the server) after the last
    /// trash instruction for it was recorded, older than the retention; a failed
    /// inspection after it (by anyone) voids it.
    public func unlinkableInspection(node: Int, volume: Int64, generation: Int, retentionSeconds: Double) async throws -> Bool {
        guard let latest = try await latestInspection(node: node, volume: volume, generation: generation), latest.passed else { return false }
        return try await pool.withConnection { c in
            try await c.query("""
                SELECT 1 FROM trash_inspections i
                WHERE i.node_id = $1 AND i.volume_id = $2 AND i.generation = $3 AND i.passed AND i.inspected_by = $5
                  AND i.inspected_at < now() - make_interval(secs => $4)
                  AND i.inspected_at > (SELECT max(created_at) FROM extent_instructions
                                        WHERE kind = 'trash' AND node_id = $1 AND volume_id = $2 AND generation = $3)
                  AND NOT EXISTS (SELECT 1 FROM trash_inspections f WHERE f.node_id = $1 AND f.volume_id = $2
                                  AND f.generation = $3 AND NOT f.passed AND f.inspected_at > i.inspected_at)
                """, [.int32(Int32(node)), .int64(volume), .int32(Int32(generation)), .float64(retentionSeconds),
                      .text(DatabaseRole.inspector.rawValue)]).count > 0
        }
    }
}

/// What the blast-radius cap counts: for each node, its extents (live, being
/// repaired, or trashed and not yet unlinked) and the destructive steps of each
/// action taken on it within the window.
public struct DestructiveHistory: Sendable, Equatable {
    /// node id → extents the index places on it.
    public var extents: [Int: Int]
    /// action (`trash`, `unlink`, `install-over`) → node id → steps within the window.
    public var steps: [String: [Int: Int]]
    /// Nodes whose cap an operator lifted (a `blast_radius_overrides` row in force).
    public var lifted: Set<Int>

    public init(extents: [Int: Int], steps: [String: [Int: Int]], lifted: Set<Int>) {
        self.extents = extents
        self.steps = steps
        self.lifted = lifted
    }
}

extension BlockIndex {
    /// The extents per node and the destructive steps of the last `windowSeconds`.
    public func destructiveHistory(windowSeconds: Double) async throws -> DestructiveHistory {
        try await pool.withConnection { c in
            var history = DestructiveHistory(extents: [:], steps: [:], lifted: [])
            let extents = try await c.query("""
                SELECT node_id, count(*)::int8 FROM volume_replicas WHERE state IN ('live', 'repairing', 'trashed') GROUP BY node_id
                """)
            for i in 0..<extents.count { history.extents[try extents.int(i, 0)] = try extents.int(i, 1) }
            let steps = try await c.query("""
                SELECT kind, node_id, count(*)::int8 FROM extent_instructions
                WHERE kind IN ('trash', 'unlink') AND executed_at > now() - make_interval(secs => $1) GROUP BY 1, 2
                UNION ALL
                SELECT action, node_id, count(*)::int8 FROM destructive_steps
                WHERE at > now() - make_interval(secs => $1) GROUP BY 1, 2
                """, [.float64(windowSeconds)])
            for i in 0..<steps.count { history.steps[steps.string(i, 0), default: [:]][try steps.int(i, 1)] = try steps.int(i, 2) }
            let lifted = try await c.query("SELECT DISTINCT node_id FROM blast_radius_overrides WHERE expires_at > now()")
            for i in 0..<lifted.count { history.lifted.insert(try lifted.int(i, 0)) }
            return history
        }
    }

    /// Records a destructive step that no instruction records (an install over a held extent).
    public func recordDestructiveStep(action: String, node: Int, volume: Int64, generation: Int) async throws {
        try await pool.withConnection { c in
            try await c.query(
                "INSERT INTO destructive_steps (action, node_id, volume_id, generation) VALUES ($1, $2, $3, $4)",
                [.text(action), .int32(Int32(node)), .int64(volume), .int32(Int32(generation))])
        }
    }

    /// Lifts the blast-radius cap for one node until `seconds` from now (an operator's decommission).
    public func liftBlastRadiusCap(node: Int, seconds: Double, reason: String) async throws {
        try await pool.withConnection { c in
            try await c.query("""
                INSERT INTO blast_radius_overrides (node_id, reason, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))
                """, [.int32(Int32(node)), .text(reason), .float64(seconds)])
        }
    }
}

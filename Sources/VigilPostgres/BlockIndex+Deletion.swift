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

    /// The earliest passed inspection since the extent was last trashed, and its age:
    /// a failed inspection after it voids it.
    public func unlinkableInspection(node: Int, volume: Int64, generation: Int, retentionSeconds: Double) async throws -> Bool {
        guard let latest = try await latestInspection(node: node, volume: volume, generation: generation), latest.passed else { return false }
        return try await pool.withConnection { c in
            try await c.query("""
                SELECT 1 FROM trash_inspections i
                WHERE i.node_id = $1 AND i.volume_id = $2 AND i.generation = $3 AND i.passed
                  AND i.inspected_at < now() - make_interval(secs => $4)
                  AND i.inspected_at > (SELECT max(created_at) FROM extent_instructions
                                        WHERE kind = 'trash' AND node_id = $1 AND volume_id = $2 AND generation = $3)
                  AND NOT EXISTS (SELECT 1 FROM trash_inspections f WHERE f.node_id = $1 AND f.volume_id = $2
                                  AND f.generation = $3 AND NOT f.passed AND f.inspected_at > i.inspected_at)
                """, [.int32(Int32(node)), .int64(volume), .int32(Int32(generation)), .float64(retentionSeconds)]).count > 0
        }
    }
}

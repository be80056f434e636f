import Foundation
import Logging
import VigilCore
import VigilPostgres

extension Master {
    /// Records a trash instruction for every extent of a retired (compacted)
    /// volume that the index may still place live on a serving node and that no
    /// pending trash instruction covers: a replica row not `trashed` (the master
    /// died, or PostgreSQL went away, between the retire and the recording of
    /// its trash; a repair or re-replication left it `repairing`, `lost`, or at
    /// a generation other than the one trashed), or an install recorded on a
    /// node without a replica row (a drain or re-replication died between the
    /// install and the row) and not trashed since. Run before the pending trash
    /// instructions are sent, so every extent of a retired volume leaves
    /// `extents/` eventually, whatever restart came in between, and the index
    /// says so (replica row `trashed`, instruction executed).
    func recordTrashOfRetiredLeftovers() async throws {
        let leftovers = try await index.pool.withConnection { c in
            let rows = try await c.query("""
                SELECT r.node_id, r.volume_id, r.generation, 'replica ' || r.state FROM volume_replicas r
                JOIN volumes v ON v.id = r.volume_id JOIN nodes n ON n.id = r.node_id
                WHERE v.state = 'retired' AND r.state <> 'trashed' AND n.state = ANY($1)
                  AND NOT EXISTS (SELECT 1 FROM extent_instructions t WHERE t.kind = 'trash' AND t.executed_at IS NULL
                                  AND t.node_id = r.node_id AND t.volume_id = r.volume_id AND t.generation = r.generation)
                UNION
                SELECT i.node_id, i.volume_id, i.generation, 'install ' || i.id FROM extent_instructions i
                JOIN volumes v ON v.id = i.volume_id JOIN nodes n ON n.id = i.node_id
                WHERE i.kind = 'install' AND v.state = 'retired' AND n.state = ANY($1)
                  AND NOT EXISTS (SELECT 1 FROM volume_replicas r
                                  WHERE r.volume_id = i.volume_id AND r.node_id = i.node_id AND r.generation = i.generation)
                  AND NOT EXISTS (SELECT 1 FROM extent_instructions t WHERE t.kind = 'trash' AND t.id > i.id
                                  AND t.node_id = i.node_id AND t.volume_id = i.volume_id AND t.generation = i.generation)
                ORDER BY 2, 1, 3
                """, [.textArray(Self.sourceNodeStates.sorted())])
            return try (0..<rows.count).map { (node: try rows.int($0, 0), volume: try rows.int64($0, 1), generation: try rows.int($0, 2), what: rows.string($0, 3)) }
        }
        for leftover in leftovers {
            let id = try await index.recordInstruction(
                kind: "trash", node: leftover.node, volume: leftover.volume, generation: leftover.generation,
                reason: "gc: volume \(leftover.volume) is retired; its extent was left live (\(leftover.what))")
            logger.warning("retired volume's extent left live: trash recorded", metadata: [
                "vigil.instruction": "\(id)", "vigil.volume": "\(leftover.volume)", "vigil.node": "\(leftover.node)",
                "vigil.generation": "\(leftover.generation)", "vigil.found": "\(leftover.what)",
            ])
        }
    }
}

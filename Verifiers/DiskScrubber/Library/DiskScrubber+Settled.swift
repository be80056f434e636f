import VigilCore
import VigilPostgres

/// This node's replica row of one volume as the scrubber read it: compared
/// before and after a scan, so that nothing is judged on a read the world has
/// moved past (a repair bumping the generation, GC or a drain trashing it).
struct ReplicaRowSnapshot: Equatable, Sendable {
    var generation: Int
    var state: String
    /// The row's `updated_at`, as text: any write to the row changes it.
    var updatedAt: String
}

extension DiskScrubber {
    /// This node's replica row of `volume`, whatever its state; nil when it has none.
    func replicaRow(_ volume: Int64) async throws -> ReplicaRowSnapshot? {
        try await index.pool.withConnection { [config] c in
            let rows = try await c.query(
                "SELECT generation, state, updated_at::text FROM volume_replicas WHERE volume_id = $1 AND node_id = $2",
                [.int64(volume), .int32(Int32(config.nodeID))])
            return rows.count == 1 ? ReplicaRowSnapshot(generation: try rows.int(0, 0), state: rows.string(0, 1), updatedAt: rows.string(0, 2)) : nil
        }
    }

    /// Whether what the scan read still stands, re-read just before accusing:
    /// the replica row is the one read before the file was opened, and the path
    /// still names the file the scan read (same device and inode). `nil` when
    /// the path names no file any more (trashed, unlinked): its damage left with it.
    func scanStillStands(path: String, opened: FileStatus, volume: Int64, rowBefore: ReplicaRowSnapshot?) async throws -> Bool? {
        guard let now = try? await blockingIO({ try FileStatus.of(path: path) }) else { return nil }
        guard now.isSameFile(as: opened) else { return false }
        return try await replicaRow(volume) == rowBefore
    }

    /// Whether an instruction explains an extent in extents/ with no live
    /// replica row here: an install (a repair, drain or re-replication placing
    /// it) or a restore is its latest, or a trash recorded and not yet executed
    /// (GC or a drain taking it out).
    func presenceInstructed(_ name: ExtentName, volume: Int64) async throws -> Bool {
        guard let latest = try await index.latestInstruction(node: config.nodeID, volume: volume, generation: Int(name.generation)) else { return false }
        return latest.kind == "install" || latest.kind == "restore" || (latest.kind == "trash" && !latest.executed)
    }
}

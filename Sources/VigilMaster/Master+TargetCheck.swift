import Foundation
import Logging
import VigilCore
import VigilNodeClient
import VigilPostgres

/// A repair request the master closes without repairing: about a generation the
/// replica no longer has (`superseded`), or naming a copy that verifies clean
/// and whole (`refused`: the requester accused a healthy copy).
struct RepairNotCarriedOut: Error {
    static let superseded = "superseded"
    static let refused = "refused"
    var state: String
    var why: String
}

extension Master {
    /// Why the target's copy needs no repair, or nil when it does. It needs none
    /// only when the node holds exactly the replica's current extent, that
    /// extent (read back from the node) is sealed, names the right volume and
    /// generation, verifies record by record and holds every live block with the
    /// index's length and CRC, and the node answers present for every live
    /// block. Anything less (damaged, unreadable, a block missing, a stray second
    /// extent of the volume) is repaired as requested.
    func cleanTargetEvidence(_ held: [ExtentName], target: ReplicaRecord, volume: VolumeRecord) async -> String? {
        let current = ExtentName(volume: UInt64(volume.id), generation: UInt32(target.generation))
        guard target.state == "live", held == [current] else { return nil }
        let staged = "\(config.workDirectory)/target-check-\(UUID().uuidString).extent"
        defer { try? FileManager.default.removeItem(atPath: staged) }
        do {
            // The repair closed the volume; its copies are judged sealed, as any source is.
            if volume.state != "sealed" { try await node(target.node).seal(volume: UInt64(volume.id)) }
            try await node(target.node).downloadExtent(current, to: staged)
            let records = try await index.liveRecords(in: volume.id)
            try await verifyRecords(at: staged, volume: volume.id, generation: current.generation, records: records)
            guard try await holdsAll(records.map(\.key), volume: volume.id, on: target.node) else { return nil }
            return "\(current) on \(target.node.name) verifies clean, sealed, with all \(records.count) live blocks as the index records them and present"
        } catch {
            logger.info("the copy a repair names does not verify; repairing it", metadata: [
                "vigil.volume": "\(volume.id)", "vigil.node": "\(target.node.name)", "vigil.error": "\(error)",
            ])
            return nil
        }
    }
}

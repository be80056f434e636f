import Foundation
import Logging
import VigilCore
import VigilNodeClient
import VigilPostgres

extension Master {
    /// Sends recorded trash instructions that have not been carried out yet, oldest
    /// first, within the blast-radius cap: one over it stays pending (and is counted
    /// in the finding), the rest of the round goes on. First records the trash of
    /// any extent a retired volume still has live (`recordTrashOfRetiredLeftovers`).
    func executeTrashInstructions(round: inout BlastRadiusRound) async throws {
        try await recordTrashOfRetiredLeftovers()
        for instruction in try await index.pendingInstructions(kind: "trash").reversed() {
            guard let node = try await index.nodes().first(where: { $0.id == instruction.node }) else { continue }
            guard round.trash.admit(node: instruction.node) else { continue }
            let name = ExtentName(volume: UInt64(instruction.volume), generation: UInt32(instruction.generation))
            // The replica stops counting as live before its extent leaves extents/:
            // a reader (frontend, scanner, inspector, referee) that sees it live can
            // then always find it there. Only the replica of this generation: one a
            // repair installed since stays live (and is trashed by its own instruction).
            try await markReplicaTrashed(instruction)
            do {
                try await self.node(node).trash(name, instruction: instruction.id)
            } catch let error as NodeClientError where error.code == "no_such_extent" {
                // Already gone from extents/ (an earlier attempt moved it): nothing to move.
            } catch {
                logger.warning("trash instruction not carried out yet", metadata: ["vigil.instruction": "\(instruction.id)", "vigil.error": "\(error)"])
                continue
            }
            try await index.markExecuted(instruction.id)
            logger.notice("extent moved to trash", metadata: ["vigil.instruction": "\(instruction.id)", "vigil.extent": "\(name)", "vigil.node": "\(node.name)"])
        }
    }

    private func markReplicaTrashed(_ instruction: ExtentInstruction) async throws {
        try await index.pool.withConnection { c in
            try await c.query("""
                UPDATE volume_replicas SET state = 'trashed', updated_at = now() WHERE volume_id = $1 AND node_id = $2 AND generation = $3
                """, [.int64(instruction.volume), .int32(Int32(instruction.node)), .int32(Int32(instruction.generation))])
        }
    }

    /// Unlinks trash extents whose inspection passed longer ago than the retention
    /// period; an extent whose latest inspection failed is never unlinked.
    func unlinkInspectedTrash(round: inout BlastRadiusRound) async throws {
        let retention = Double(config.retention.components.seconds) + Double(config.retention.components.attoseconds) / 1e18
        for trashed in try await index.trashedExtents() {
            guard try await index.unlinkableInspection(node: trashed.node, volume: trashed.volume, generation: trashed.generation, retentionSeconds: retention) else {
                if let latest = try await index.latestInspection(node: trashed.node, volume: trashed.volume, generation: trashed.generation), !latest.passed {
                    unlinksRefused.increment()
                }
                continue
            }
            guard let node = try await index.nodes().first(where: { $0.id == trashed.node }) else { continue }
            guard await !unlinkHeld(trashed, on: node) else {
                unlinksRefused.increment()
                continue
            }
            guard round.unlink.admit(node: trashed.node) else { continue }
            let name = ExtentName(volume: UInt64(trashed.volume), generation: UInt32(trashed.generation))
            let id = try await index.recordInstruction(
                kind: "unlink", node: trashed.node, volume: trashed.volume, generation: trashed.generation,
                reason: "inspection passed and retention elapsed (trash instruction \(trashed.id))")
            do {
                try await self.node(node).unlink(name, instruction: id)
            } catch let error as NodeClientError where error.code == "no_such_extent" {
                logger.warning("trash extent already gone at unlink", metadata: ["vigil.extent": "\(name)", "vigil.node": "\(node.name)"])
            }
            try await index.markExecuted(id)
            unlinks.increment()
            logger.notice("unlinked trash extent", metadata: ["vigil.instruction": "\(id)", "vigil.extent": "\(name)", "vigil.node": "\(node.name)"])
        }
    }
}

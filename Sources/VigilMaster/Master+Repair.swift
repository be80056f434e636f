import Foundation
import Logging
import VigilCore
import VigilNodeClient
import VigilPostgres

extension Master {
    /// Rebuilds one replica from another that verifies clean record by record
    /// and holds every live block of the volume; never from an unverified source.
    /// Returns false when the blast-radius cap refused it: it is back in the queue,
    /// its attempt not counted.
    func execute(_ request: RepairRequest, round: inout BlastRadiusRound) async -> Bool {
        let context: Logger.Metadata = ["vigil.volume": "\(request.volume)", "vigil.node": "\(request.node)", "vigil.repair": "\(request.id)"]
        do {
            // Bounded: a copy from a node that stops answering mid-download is
            // abandoned (retried next round) instead of stalling every later step.
            let (outcome, spent) = try await withinTimeLimit(config.repairTimeout, "repair \(request.id)") { [round] in
                var round = round
                return (try await self.repair(request, round: &round), round)
            }
            round = spent
            try await index.finishRepair(request.id, state: "done")
            repairsDone.increment()
            logger.notice("replica repaired", metadata: context.merging(["vigil.source": "\(outcome)"]) { $1 })
        } catch let closed as RepairNotCarriedOut {
            try? await index.finishRepair(request.id, state: closed.state, error: closed.why)
            (closed.state == RepairNotCarriedOut.refused ? repairsRefused : repairsSuperseded).increment()
            logger.warning("repair request closed without a repair", metadata: context.merging([
                "vigil.outcome": "\(closed.state)", "vigil.requested_by": "\(request.requestedBy)", "vigil.error": "\(closed.why)",
            ]) { $1 })
        } catch let refused as BlastRadiusRefused {
            try? await index.deferRepair(request.id, reason: "\(refused)")
            logger.warning("repair deferred", metadata: context.merging(["vigil.error": "\(refused)"]) { $1 })
            return false
        } catch {
            let retry = request.attempts < config.maxRepairAttempts
            try? await index.finishRepair(request.id, state: retry ? "pending" : "failed", error: "\(error)")
            (retry ? repairsRetried : repairsFailed).increment()
            logger.error("repair did not complete", metadata: context.merging(["vigil.error": "\(error)", "vigil.will_retry": "\(retry)"]) { $1 })
        }
        return true
    }

    /// Returns the name of the node the copy came from (or why none was needed).
    private func repair(_ request: RepairRequest, round: inout BlastRadiusRound) async throws -> String {
        guard let volume = try await index.volume(request.volume) else { throw RepairError("volume \(request.volume) is not in the index") }
        let replicas = try await index.replicas(of: request.volume)
        guard let target = replicas.first(where: { $0.node.id == request.node }) else {
            throw RepairError("node \(request.node) holds no replica of volume \(request.volume)")
        }
        // Judged on a copy that has been replaced since: the accusation is not about this one.
        if let judged = request.generation, judged != target.generation {
            throw RepairNotCarriedOut(state: RepairNotCarriedOut.superseded, why: "the request is about generation \(judged); the replica is at \(target.generation) now")
        }
        // Trashed by a recorded instruction (drain, GC) since it was requested: a
        // repair never brings back what a recorded deletion took out of service.
        guard target.state != "trashed" else { return "none: the replica was trashed since the request" }
        // A dead node's copies are re-created on other nodes (Master+Rereplicate): nothing to rebuild there.
        guard target.state != "lost", Self.sourceNodeStates.contains(target.node.state) else {
            return "none: \(target.node.name) is \(target.node.state) and its replica \(target.state); re-replication restores R elsewhere"
        }
        // Only immutable extents are copied: stop writes and seal the other replicas first.
        if volume.state == "open" { _ = try await index.setVolumeState(volume.id, from: ["open"], to: "closed") }
        let expected = Set(try await index.liveKeys(in: volume.id))
        // Replacing an extent the node holds is destructive (a bad script queueing
        // repairs of a node's healthy replicas replaces all of them): capped.
        // Restoring a missing one is not.
        let held = try await node(target.node).listExtents()
            .filter { $0.volume == UInt64(volume.id) && $0.location == "extents" }
            .map { ExtentName(volume: $0.volume, generation: $0.generation) }
        // Never on a requester's word alone: a copy that verifies clean and whole here is kept.
        if !held.isEmpty, !request.isOperatorRebuild, let clean = await cleanTargetEvidence(held, target: target, volume: volume) {
            throw RepairNotCarriedOut(state: RepairNotCarriedOut.refused, why: "nothing to repair: \(clean)")
        }
        if !held.isEmpty, !round.installOver.admit(node: target.node.id) {
            throw BlastRadiusRefused(action: "install-over", node: target.node.id)
        }
        // Never the copy being repaired, never a dead or silent node; a source whose
        // bytes do not verify is skipped for the next one.
        let candidates = await sources(among: replicas, for: target.node.id)
        var reasons = candidates.skipped
        for source in candidates.usable {
            let staged = "\(config.workDirectory)/repair-\(request.id)-\(UUID().uuidString).extent"
            defer { try? FileManager.default.removeItem(atPath: staged) }
            do {
                if volume.state != "sealed" { try await node(source.node).seal(volume: UInt64(volume.id)) }
                let sourceName = ExtentName(volume: UInt64(volume.id), generation: UInt32(source.generation))
                try await node(source.node).downloadExtent(sourceName, to: staged)
                // A new generation when the node has a file of the volume: the copy
                // never takes the name of the one it replaces (which goes to trash).
                let generation = try await installGeneration(volume: volume.id, source: source.generation, on: target.node, replicas: replicas)
                try await restamp(staged, generation: generation)
                try await verifyCopy(at: staged, volume: volume.id, generation: generation, expected: expected)
                // Out of service before it leaves extents/; back to live once the copy verifies there.
                try await index.setReplicaState(volume: volume.id, node: target.node.id, state: "repairing")
                try await trashReplaced(held, on: target.node, reason: "repair \(request.id): replaced by a verified copy from \(source.node.name) (\(request.reason))")
                let targetName = ExtentName(volume: UInt64(volume.id), generation: generation)
                try await installRecorded(staged, as: targetName, on: target.node, reason: "repair \(request.id): verified copy from \(source.node.name)")
                if !held.isEmpty { try await index.recordDestructiveStep(action: "install-over", node: target.node.id, volume: volume.id, generation: Int(generation)) }
                // Verify there: the target now answers present for every live block.
                guard try await holdsAll(expected, volume: volume.id, on: target.node) else { throw RepairError("installed copy lacks blocks on \(target.node.name)") }
                let revived = try await index.pool.withConnection { c in
                    try await c.transaction { tx in
                        try await tx.query("UPDATE volumes SET generation = greatest(generation, $2) WHERE id = $1", [.int64(volume.id), .int32(Int32(generation))])
                        return try await tx.query("""
                            UPDATE volume_replicas SET state = 'live', generation = $3, updated_at = now()
                            WHERE volume_id = $1 AND node_id = $2 AND state <> 'trashed' RETURNING 1
                            """, [.int64(volume.id), .int32(Int32(target.node.id)), .int32(Int32(generation))]).count
                    }
                }
                if revived == 0 { logger.warning("replica trashed while it was rebuilt; it stays trashed", metadata: ["vigil.volume": "\(volume.id)", "vigil.node": "\(target.node.name)"]) }
                return source.node.name
            } catch {
                reasons.append("\(source.node.name): \(error)")
            }
        }
        throw RepairError("no verified-clean source: \(reasons.isEmpty ? "no other live replica" : reasons.joined(separator: "; "))")
    }

    /// A copy is usable only if every record verifies, it is sealed, it is the
    /// right volume, and it holds every live block the index puts in that volume.
    func verifyCopy(at path: String, volume: Int64, generation: UInt32, expected: Set<BlockKey>) async throws {
        let (report, keys) = try await blockingIO { () throws -> (ExtentScanReport, Set<BlockKey>) in
            var keys = Set<BlockKey>()
            var options = ExtentScanOptions()
            options.expectSealed = true
            let report = try ExtentReader(path: path).scan(options: options, onRecord: { if $0.isIntact { keys.insert($0.key) } })
            return (report, keys)
        }
        guard report.isClean else { throw RepairError("source copy is damaged: \(report.problems.prefix(3))") }
        guard report.header?.volume == UInt64(volume), report.header?.generation == generation else {
            throw RepairError("source copy holds another volume or generation")
        }
        let missing = expected.subtracting(keys)
        guard missing.isEmpty else { throw RepairError("source copy lacks \(missing.count) live blocks") }
    }
}

struct RepairError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

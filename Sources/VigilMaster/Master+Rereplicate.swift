import Foundation
import Logging
import VigilCore
import VigilNodeClient
import VigilPostgres

extension Master {
    /// Brings every volume of a dead node back to R replicas on other nodes: the
    /// dead node's replicas are marked `lost` (within the blast-radius cap, which
    /// `vigil nodes retire N --dead` lifts for that node), each one opens a
    /// re-replication that copies a verified replica to an up node holding none
    /// of the volume. A dead node with nothing left is marked `retired`.
    func rereplicate(round: inout BlastRadiusRound) async throws {
        let nodes = try await index.nodes()
        for dead in nodes where dead.state == "dead" {
            let left = try await index.unlostReplicas(node: dead.id)
            guard left > 0 else { continue }
            var admitted = 0
            while admitted < left, round.rereplicate.admit(node: dead.id) { admitted += 1 }
            if admitted < left { round.rereplicate.refuse(node: dead.id, count: left - admitted) }
            if admitted > 0 {
                let marked = try await index.markLost(node: dead.id, limit: admitted)
                logger.warning("replicas of a dead node marked lost", metadata: ["vigil.node": "\(dead.name)", "vigil.replicas": "\(marked)"])
            }
        }
        let candidates = nodes.filter { $0.state == "up" }
        for work in try await index.unfinishedRereplications().prefix(8) where !Task.isShuttingDownGracefully {
            do {
                try await withinTimeLimit(config.repairTimeout, "re-replication of volume \(work.volume)") {
                    try await self.rereplicate(work, candidates: candidates)
                }
            } catch {
                try? await index.noteRereplicationAttempt(work.id, error: "\(error)")
                logger.error("re-replication not done yet; retrying next round", metadata: ["vigil.volume": "\(work.volume)", "vigil.error": "\(error)"])
            }
        }
        for dead in try await index.nodes() where dead.state == "dead" {
            guard try await index.unlostReplicas(node: dead.id) == 0,
                  try await !index.unfinishedRereplications().contains(where: { $0.lostNode == dead.id }) else { continue }
            try await index.register(NodeRecord(id: dead.id, name: dead.name, address: dead.address, state: "retired"))
            logger.notice("dead node re-replicated and retired", metadata: ["vigil.node": "\(dead.name)"])
        }
        volumesBelowReplication.record(try await index.volumesBelowReplication())
    }

    private func rereplicate(_ work: Rereplication, candidates: [NodeRecord]) async throws {
        guard let volume = try await index.volume(work.volume), volume.state != "retired" else {
            try await index.finishRereplication(work, target: nil, generation: 0, instruction: nil)  // nothing left to copy
            return
        }
        guard volume.state == "sealed" else {
            // Only immutable extents are copied: stop writes; sealClosedVolumes seals the live replicas.
            _ = try await index.setVolumeState(volume.id, from: ["open"], to: "closed")
            throw RepairError("volume \(volume.id) is \(volume.state); copied once sealed")
        }
        let replicas = try await index.replicas(of: volume.id)
        let live = replicas.filter { $0.state == "live" }
        guard live.count < volume.replication else {
            try await index.finishRereplication(work, target: nil, generation: 0, instruction: nil)  // already back at R
            return
        }
        let occupied = Set(replicas.filter { ["live", "repairing"].contains($0.state) }.map(\.node.id))
        // Never two replicas on one node; nodes that never held the volume first.
        let free = candidates.filter { !occupied.contains($0.id) }
        let heldBefore = free.filter { c in replicas.contains { $0.node.id == c.id } }
        let targets = free.filter { c in !replicas.contains { $0.node.id == c.id } }.shuffled() + heldBefore.shuffled()
        guard !targets.isEmpty else { throw RepairError("no up node without a replica of volume \(volume.id)") }
        let records = try await index.liveRecords(in: volume.id)
        // Never from a dead or silent node (the lost one included), and a source
        // whose bytes do not verify is skipped for the next one.
        let sources = await sources(among: replicas, for: nil)
        var reasons = sources.skipped
        for source in sources.usable {
            let staged = "\(config.workDirectory)/rereplicate-\(volume.id)-\(UUID().uuidString).extent"
            defer { try? FileManager.default.removeItem(atPath: staged) }
            do {
                try await node(source.node).downloadExtent(ExtentName(volume: UInt64(volume.id), generation: UInt32(source.generation)), to: staged)
                for target in targets {
                    do {
                        let generation = try await installGeneration(volume: volume.id, source: source.generation, on: target, replicas: replicas)
                        try await restamp(staged, generation: generation)
                        try await verifyRecords(at: staged, volume: volume.id, generation: generation, records: records)
                        let name = ExtentName(volume: UInt64(volume.id), generation: generation)
                        let instruction = try await installRecorded(
                            staged, as: name, on: target, reason: "re-replication \(work.id): node \(work.lostNode) lost; copy from \(source.node.name)")
                        guard try await holdsAll(records.map(\.key), volume: volume.id, on: target) else {
                            throw RepairError("the copy on \(target.name) lacks blocks")
                        }
                        try await index.finishRereplication(work, target: target.id, generation: Int(generation), instruction: instruction)
                        rereplications.increment()
                        logger.notice("volume re-replicated", metadata: [
                            "vigil.volume": "\(volume.id)", "vigil.from": "\(source.node.name)", "vigil.to": "\(target.name)", "vigil.lost_node": "\(work.lostNode)",
                        ])
                        return
                    } catch let error as RepairError where error.description.hasPrefix("source copy") {
                        throw error  // the source is bad: try another source, not another target
                    } catch {
                        reasons.append("\(source.node.name) → \(target.name): \(error)")
                    }
                }
            } catch {
                reasons.append("\(source.node.name): \(error)")
            }
        }
        throw RepairError("volume \(volume.id) not re-replicated: \(reasons.joined(separator: "; "))")
    }

    /// A copy checked against the index: clean, sealed, the right volume and
    /// generation, and every live block's record with the index's length and CRC.
    func verifyRecords(at path: String, volume: Int64, generation: UInt32, records: [LiveRecord]) async throws {
        try await verifyCopy(at: path, volume: volume, generation: generation, expected: Set(records.map(\.key)))
        let held = try await blockingIO { () throws -> [BlockKey: (UInt32, UInt32)] in
            var held: [BlockKey: (UInt32, UInt32)] = [:]
            _ = try ExtentReader(path: path).scan(onRecord: { if $0.isIntact { held[$0.key] = ($0.length, $0.dataCRC) } })
            return held
        }
        let differ = records.filter { record in held[record.key].map { Int($0.0) != record.length || $0.1 != record.checksum } ?? true }
        guard differ.isEmpty else { throw RepairError("source copy disagrees with the index on \(differ.count) records (first \(differ[0].key))") }
    }
}

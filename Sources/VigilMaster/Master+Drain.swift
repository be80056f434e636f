import Foundation
import Logging
import VigilCore
import VigilNodeClient
import VigilPostgres

extension Master {
    /// Moves every live replica off nodes marked `draining`: copy the extent to
    /// another node, verify it there, add that replica, then trash the old one by
    /// a recorded instruction. A node with nothing left is marked `retired`.
    /// A drain is judged whole before anything moves: one that would trash more of
    /// the node (or the zone) than the blast-radius cap allows is refused outright,
    /// and stays pending until an operator lifts the cap for the node
    /// (`vigil drain N --lift-blast-radius-cap`).
    func drainNodes(round: inout BlastRadiusRound) async throws {
        let nodes = try await index.nodes()
        for draining in nodes where draining.state == "draining" {
            let volumes = try await index.pool.withConnection { c in
                let rows = try await c.query(
                    "SELECT volume_id FROM volume_replicas WHERE node_id = $1 AND state = 'live' ORDER BY 1", [.int32(Int32(draining.id))])
                return try (0..<rows.count).map { try rows.int64($0, 0) }
            }
            if volumes.isEmpty {
                try await index.register(NodeRecord(id: draining.id, name: draining.name, address: draining.address, state: "retired"))
                logger.notice("node drained", metadata: ["vigil.node": "\(draining.name)"])
                continue
            }
            guard round.drain.fits(node: draining.id, count: volumes.count) else {
                round.drain.refuse(node: draining.id, count: volumes.count)
                logger.warning("drain refused: over the blast-radius cap", metadata: ["vigil.node": "\(draining.name)", "vigil.extents": "\(volumes.count)"])
                continue
            }
            for volume in volumes.prefix(4) {
                do {
                    try await move(volume, off: draining, candidates: nodes.filter { $0.state == "up" })
                } catch {
                    logger.error("move failed; retrying next round", metadata: ["vigil.volume": "\(volume)", "vigil.error": "\(error)"])
                }
            }
        }
    }

    private func move(_ volume: Int64, off source: NodeRecord, candidates: [NodeRecord]) async throws {
        guard let record = try await index.volume(volume) else { return }
        guard record.state == "sealed" else {
            // Stop writes to it; the next round seals it, the one after moves it.
            _ = try await index.setVolumeState(volume, from: ["open"], to: "closed")
            return
        }
        let replicas = try await index.replicas(of: volume)
        guard let old = replicas.first(where: { $0.node.id == source.id }) else { return }
        guard let target = candidates.filter({ c in !replicas.contains { $0.node.id == c.id } }).shuffled().first else {
            throw RepairError("no up node without a replica of volume \(volume)")
        }
        let name = ExtentName(volume: UInt64(volume), generation: UInt32(old.generation))
        let staged = "\(config.workDirectory)/move-\(volume)-\(UUID().uuidString).extent"
        defer { try? FileManager.default.removeItem(atPath: staged) }
        let expected = Set(try await index.liveKeys(in: volume))
        try await node(source).downloadExtent(name, to: staged)
        let generation = try await installGeneration(volume: volume, source: old.generation, on: target, replicas: replicas)
        try await restamp(staged, generation: generation)
        try await verifyCopy(at: staged, volume: volume, generation: generation, expected: expected)
        try await installRecorded(
            staged, as: ExtentName(volume: UInt64(volume), generation: generation), on: target,
            reason: "drain: volume \(volume) moves from \(source.name) to \(target.name)")
        guard try await holdsAll(expected, volume: volume, on: target) else { throw RepairError("the copy on \(target.name) lacks blocks") }
        try await index.pool.withConnection { c in
            try await c.query("""
                INSERT INTO volume_replicas (volume_id, node_id, generation, state) VALUES ($1, $2, $3, 'live')
                ON CONFLICT (volume_id, node_id) DO UPDATE SET state = 'live', generation = EXCLUDED.generation, updated_at = now()
                """, [.int64(volume), .int32(Int32(target.id)), .int32(Int32(generation))])
        }
        _ = try await index.recordInstruction(
            kind: "trash", node: source.id, volume: volume, generation: old.generation,
            reason: "drain: volume \(volume) moved from \(source.name) to \(target.name)")
        logger.notice("moved replica", metadata: ["vigil.volume": "\(volume)", "vigil.from": "\(source.name)", "vigil.to": "\(target.name)"])
    }
}

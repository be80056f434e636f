import Foundation
import Logging
import VigilCore
import VigilNodeClient
import VigilPostgres

extension Master {
    /// Compacts sealed volumes whose deleted fraction reached `threshold`: live
    /// blocks are copied into a new volume on R nodes and verified there, index
    /// rows repointed in one transaction, then the old extents are trashed by
    /// recorded instructions (and unlinked after inspection and retention).
    /// A volume whose extents' trash would cross the blast-radius cap is not
    /// compacted this round: it stays a candidate, the refusal is a finding.
    func collectGarbage(threshold: Double, round: inout BlastRadiusRound) async throws {
        let candidates = try await index.pool.withConnection { c in
            let rows = try await c.query("""
                SELECT v.id, v.generation, v.replication FROM volumes v JOIN blocks b ON b.volume_id = v.id
                WHERE v.state = 'sealed' GROUP BY v.id
                HAVING count(*) FILTER (WHERE b.state = 1) > 0 AND count(*) FILTER (WHERE b.state = 1) >= $1 * count(*)
                ORDER BY v.id LIMIT 4
                """, [.float64(threshold)])
            return try (0..<rows.count).map { (try rows.int64($0, 0), try rows.int($0, 1), try rows.int($0, 2)) }
        }
        var planned = round.trash
        for (volume, generation, replication) in candidates {
            var scratch = planned
            let nodes = try await index.replicas(of: volume).filter { $0.state == "live" }.map(\.node.id)
            if let over = nodes.first(where: { !scratch.admit(node: $0) }) {
                round.trash.refuse(node: over, count: 1)
                logger.warning("compaction refused: its trash would cross the blast-radius cap", metadata: ["vigil.volume": "\(volume)", "vigil.node": "\(over)"])
                continue
            }
            planned = scratch
            do {
                try await compact(volume, generation: generation, replication: replication)
                volumesCompacted.increment()
            } catch {
                logger.error("compaction failed; the volume is left as it was", metadata: ["vigil.volume": "\(volume)", "vigil.error": "\(error)"])
            }
        }
    }

    private func compact(_ old: Int64, generation: Int, replication: Int) async throws {
        let sources = try await index.replicas(of: old).filter { $0.state == "live" }
        let live = try await index.liveKeys(in: old)
        var newVolume: Int64?
        if !live.isEmpty {
            let nodes = try await index.nodes().filter { $0.state == "up" }.shuffled()
            guard nodes.count >= replication else { throw RepairError("\(nodes.count) nodes up, \(replication) needed") }
            let targets = Array(nodes.prefix(replication))
            let id = try await index.createVolume(on: targets.map(\.id), replication: replication)
            newVolume = id
            for target in targets { try await node(target).createVolume(UInt64(id), generation: 1) }
            for key in live {
                let data = try await readVerified(key, volume: old, from: sources)
                for target in targets { try await node(target).put(volume: UInt64(id), key: key, data: data) }
            }
            for target in targets {
                try await node(target).seal(volume: UInt64(id))
                guard try await holdsAll(live, volume: id, on: target) else { throw RepairError("the copy on \(target.name) lacks blocks") }
            }
            // Repoint the rows that were live when copied, and swap the volumes, at once.
            do {
                try await repoint(old, into: id, keys: live)
            } catch {
                _ = try? await index.setVolumeState(id, from: ["open"], to: "retired")  // nothing refers to it
                throw error
            }
        } else {
            _ = try await index.setVolumeState(old, from: ["sealed"], to: "retired")
        }
        for replica in try await index.replicas(of: old) where replica.state == "live" {
            _ = try await index.recordInstruction(
                kind: "trash", node: replica.node.id, volume: old, generation: replica.generation,
                reason: newVolume.map { "gc: volume \(old) compacted into \($0)" } ?? "gc: volume \(old) holds no live block")
        }
        logger.notice("compacted volume", metadata: ["vigil.volume": "\(old)", "vigil.live_blocks": "\(live.count)", "vigil.into": "\(newVolume.map(String.init) ?? "-")"])
    }

    /// In one transaction: repoints the copied rows into `id`, seals it and retires
    /// `old` — unless a block committed into `old` after the copy (a write acknowledged
    /// by the nodes before the volume was sealed, committed late): then nothing changes.
    private func repoint(_ old: Int64, into id: Int64, keys: [BlockKey]) async throws {
        try await index.pool.withConnection { c in
            try await c.transaction { tx in
                try await tx.query("""
                    UPDATE blocks SET volume_id = $1 WHERE volume_id = $2 AND state = 0 AND key = ANY($3)
                    """, [.int64(id), .int64(old), .byteaArray(keys.map(\.bytes))])
                let late = try await tx.query("SELECT count(*)::int8 FROM blocks WHERE volume_id = $1 AND state = 0", [.int64(old)]).int(0, 0)
                guard late == 0 else { throw RepairError("\(late) blocks committed into volume \(old) after its live blocks were copied") }
                try await tx.query("UPDATE volumes SET state = 'sealed', sealed_at = now(), size_bytes = (SELECT coalesce(sum(length), 0) FROM blocks WHERE volume_id = $1) WHERE id = $1", [.int64(id)])
                try await tx.query("UPDATE volumes SET state = 'retired' WHERE id = $1", [.int64(old)])
            }
        }
    }

    /// A block's data from the first replica that returns it with the right SHA-256.
    private func readVerified(_ key: BlockKey, volume: Int64, from replicas: [ReplicaRecord]) async throws -> [UInt8] {
        for replica in replicas {
            if let data = try? await node(replica.node).get(volume: UInt64(volume), key: key), BlockKey.of(data) == key { return data }
        }
        throw RepairError("no replica of volume \(volume) returns a verified copy of \(key)")
    }
}

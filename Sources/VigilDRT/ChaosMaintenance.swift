import Foundation
import VigilCore
import VigilPostgres

/// The chaos run's deletion and maintenance, beside the kills: every few seconds
/// either most of a sealed volume is deleted through the frontend (the master's
/// GC then compacts it, trashes the old extents, and unlinks them after the
/// trash inspector passed them and the retention ran out), or a node is drained
/// as `vigil drain` does (the master moves every replica off it, verified, and
/// retires it; then it is put back up, so the next drain has somewhere to go).
struct ChaosMaintenance: Sendable {
    let index: BlockIndex
    let load: ChaosLoad
    let events: LockedValue<[String]>
    let log: @Sendable (String) -> Void
    /// A sealed volume is compacted once this fraction of it is deleted (the master's `--gc-threshold`, default 0.5).
    var deleteFraction = 0.6
    /// A drain that has not finished by then is called off (the node is put back up).
    var drainLimit: Duration = .seconds(60)

    private func record(_ event: String) {
        events.withLock { $0.append(event) }
        log(event)
    }

    func run(seed: UInt64) async {
        var rng = SeededGenerator(seed: seed)
        var draining: (node: NodeRecord, since: ContinuousClock.Instant)?
        var step = 0
        while load.running {
            try? await Task.sleep(for: .milliseconds(Int.random(in: 2000...4000, using: &rng)))
            step += 1
            do {
                if step % 2 == 1 {
                    try await deleteMostOfAVolume()
                } else if let (node, since) = draining {
                    let retired = try await state(of: node) == "retired"
                    if retired || ContinuousClock.now - since > drainLimit {
                        try await set(node, "up")
                        record("drain of \(node.name) \(retired ? "finished" : "called off"); \(node.name) up again")
                        draining = nil
                    }
                } else {
                    draining = try await startDrain(using: &rng).map { ($0, ContinuousClock.now) }
                }
            } catch {
                log("maintenance step failed (\(error)); next one later")
            }
        }
        if let (node, _) = draining { try? await set(node, "up") }
    }

    /// Deletes enough of the chaos run's own blocks in one sealed volume to take
    /// its deleted fraction past the GC threshold.
    private func deleteMostOfAVolume() async throws {
        let ours = load.ledger.withLock { $0.liveByVolume }
        let rows = try await index.pool.withConnection { c in
            try await c.query("""
                SELECT v.id, count(*)::int8, (count(*) FILTER (WHERE b.state = 1))::int8 FROM volumes v JOIN blocks b ON b.volume_id = v.id
                WHERE v.state = 'sealed' GROUP BY v.id ORDER BY v.id
                """)
        }
        for i in 0..<rows.count {
            let (volume, total, deleted) = (try rows.int64(i, 0), try rows.int(i, 1), try rows.int(i, 2))
            let needed = Int((deleteFraction * Double(total)).rounded(.up)) - deleted
            guard Double(deleted) < 0.5 * Double(total), needed > 0, ours[volume, default: 0] >= needed else { continue }
            let keys = load.ledger.withLock { $0.take(needed, in: volume) }
            await load.delete(keys)
            record("deleted \(keys.count) of the \(total) blocks of volume \(volume) for GC")
            return
        }
    }

    /// Marks a random up node draining, as `vigil drain` does, when the others can still hold every volume.
    private func startDrain(using rng: inout SeededGenerator) async throws -> NodeRecord? {
        let replication = try await index.pool.withConnection { c in
            try await c.query("SELECT coalesce(max(replication), 3)::int8 FROM volumes").int(0, 0)
        }
        let up = try await index.nodes().filter { $0.state == "up" }
        guard up.count > replication, let node = up.randomElement(using: &rng) else { return nil }
        try await set(node, "draining")
        record("drain \(node.name)")
        return node
    }

    private func state(of node: NodeRecord) async throws -> String? {
        try await index.nodes().first { $0.id == node.id }?.state
    }

    private func set(_ node: NodeRecord, _ state: String) async throws {
        try await index.register(NodeRecord(id: node.id, name: node.name, address: node.address, state: state))
    }
}

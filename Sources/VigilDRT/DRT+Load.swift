import Foundation
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres

/// The foreground load of `--under-load`: in every zone, puts, reads back and
/// deletes (most of what it writes, so sealed volumes cross the master's GC
/// threshold and get compacted), while one node of the last zone drains.
/// It never deletes from a volume a fault is using: GC would compact the
/// damaged copy away (into trash) before its verifier or its repair is seen.
final class LoadDriver: Sendable {
    private let counts = LockedValue<[String: Int]>([:])
    /// Per zone, keys written and not deleted.
    private let alive = LockedValue<[String: [BlockKey]]>([:])
    /// "zone/volume" a fault is using.
    private let protected = LockedValue<Set<String>>([])
    private let stopping = LockedValue(false)
    private let task = LockedValue<Task<Void, Never>?>(nil)

    init(zones: [(zone: ClusterFile.Zone, index: BlockIndex)], token: String?, seed: UInt64) {
        let task = Task { [self] in
            await withTaskGroup(of: Void.self) { group in
                for (z, (zone, index)) in zones.enumerated() {
                    group.addTask {
                        await self.drive(FrontendClient(address: zone.frontend, token: token), index: index, zone: zone.name, seed: seed &+ UInt64(z))
                    }
                }
            }
        }
        self.task.withLock { $0 = task }
    }

    private func count(_ what: String) { counts.withLock { $0[what, default: 0] += 1 } }

    /// Keeps the load's deletes out of a volume a fault uses.
    func protect(zone: String, volume: Int64) { protected.withLock { _ = $0.insert("\(zone)/\(volume)") } }

    private func mayDelete(_ key: BlockKey, index: BlockIndex, zone: String) async -> Bool {
        guard let row = try? await index.lookup(key) else { return false }
        return !protected.value.contains("\(zone)/\(row.volume)")
    }

    private func drive(_ frontend: FrontendClient, index: BlockIndex, zone: String, seed: UInt64) async {
        var rng = SeededGenerator(seed: seed)
        while !stopping.value {
            let data = (0..<Int.random(in: 512...16_384, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if let result = try? await frontend.put(data), let key = BlockKey(hex: result.key) {
                alive.withLock { $0[zone, default: []].append(key) }
                count("puts")
            } else {
                count("put_errors")
            }
            let keys = alive.withLock { $0[zone, default: []] }
            if let key = keys.randomElement(using: &rng) {
                if case .found(let back)? = try? await frontend.get(key), BlockKey.of(back) == key { count("gets") } else { count("bad_reads") }
            }
            // Delete about two of every three blocks written: volumes cross the GC threshold.
            if keys.count > 8, Int.random(in: 0..<3, using: &rng) < 2 {
                let victim = keys[Int.random(in: 0..<(keys.count - 4), using: &rng)]
                if !(await mayDelete(victim, index: index, zone: zone)) {
                    count("deletes_held")
                } else if (try? await frontend.delete(victim)) != nil {
                    alive.withLock { $0[zone]?.removeAll { $0 == victim } }
                    count("deletes")
                } else {
                    count("delete_errors")
                }
            }
        }
    }

    func recordDrain() { count("drains") }

    /// Stops the load and returns what it did.
    func stop() async -> [String: Int] {
        stopping.withLock { $0 = true }
        await task.value?.value
        return counts.value
    }

    /// What the load wrote and did not delete: it must all read back.
    func survivors() -> [String: [BlockKey]] { alive.value }
}

extension DRT {
    /// Starts the load and a drain of the last zone's last node (when the zone
    /// keeps at least R nodes without it); faults stay off the draining node.
    func startLoad() async throws -> LoadDriver {
        let load = LoadDriver(zones: zones.map { ($0.zone, $0.index) }, token: cluster.frontendTokens?.admin ?? frontendToken, seed: rng.next())
        if let last = zones.last, last.zone.nodes.count > 3, let node = last.zone.nodes.last {
            try await last.index.liftBlastRadiusCap(node: node.id, seconds: 3600, reason: "drt --under-load: drain \(node.name)")
            try await last.index.register(NodeRecord(id: node.id, name: node.name, address: node.address, state: "draining"))
            excludedNodes.insert("\(last.zone.name)/\(node.id)")
            load.recordDrain()
            log("under load: puts, gets and deletes in every zone; draining \(last.zone.name) \(node.name)")
        }
        return load
    }
}

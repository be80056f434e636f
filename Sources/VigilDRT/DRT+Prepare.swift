import Foundation
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres

extension DRT {
    /// Writes enough data in each zone for the plan: sealed volumes to damage
    /// (one fault per volume) and files in the File Journal for the cross-zone faults.
    func prepare(_ plan: [(fault: FaultClass, zone: Int)]) async throws {
        for (z, context) in zones.enumerated() {
            let here = plan.filter { $0.zone == z }.map(\.fault)
            let extentFaults = here.filter(\.damagesSealedExtent).count
            let frontend = frontendClient(context.zone)
            var wrote = 0
            // Spare volumes: until a fault claims one, the load's deletes can bring
            // a volume near GC, a drain can take its node, and some faults use two.
            let wanted = extentFaults + 2 + (load == nil ? 0 : extentFaults / 2 + 2)
            while try await freshVolumes(z).count < wanted {
                guard wrote < 40_000 else { throw DevClusterError("could not seal enough volumes in \(context.zone.name) for \(extentFaults) faults") }
                for _ in 0..<50 {
                    try await put((0..<(64 << 10)).map { _ in UInt8.random(in: 0...255, using: &rng) }, via: frontend, zone: context.zone.name)
                    wrote += 1
                }
            }
            let journalFaults = here.filter { $0 == .indexRowDeleted || $0 == .blockMissingFromZone }.count
            if journalFaults > 0 { try await writeJournalFiles(journalFaults, zone: context.zone.name) }
            if wrote > 0 { log("prepared \(context.zone.name): wrote \(wrote) blocks") }
        }
    }

    /// Writes a block and remembers it for the loss check. A frontend that
    /// cannot take writes for a moment (503: too few healthy nodes while one
    /// drains and another restarts after a fault) is asked again, for a minute.
    @discardableResult
    func put(_ data: [UInt8], via frontend: FrontendClient, zone: String) async throws -> BlockKey {
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            do {
                let key = BlockKey(hex: try await frontend.put(data).key)!
                written[zone, default: []].append(key)
                return key
            } catch let error as FrontendClientError where (error.status == 503 || error.isUnreachable) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Files of three blocks each, written to every zone the journal user lives in.
    private func writeJournalFiles(_ count: Int, zone: String) async throws {
        let journal = FileJournal(pool: PostgresPool(url: cluster.journalDatabase, size: 1))
        let user = try await journal.user(named: "drt", creatingIn: cluster.zones.map(\.name))
        for f in 0..<count {
            var keys: [BlockKey] = []
            for _ in 0..<3 {
                let block = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
                for z in cluster.zones { keys.append(try await put(block, via: frontendClient(z), zone: z.name)) }
                keys.removeLast(cluster.zones.count - 1)
            }
            _ = try await journal.recordFile(user: user.id, path: "drt-\(rng.next())-\(f)", size: 3 * 4096, keys: keys)
            journalKeys[zone, default: []] += keys
        }
    }

    /// Live replicas of sealed volumes in a zone: (volume, node, generation).
    func sealedReplicas(_ z: Int) async throws -> [(volume: Int64, node: Int, generation: Int)] {
        try await zones[z].index.pool.withConnection { c in
            let rows = try await c.query("""
                SELECT r.volume_id, r.node_id, r.generation FROM volume_replicas r JOIN volumes v ON v.id = r.volume_id
                WHERE v.state = 'sealed' AND r.state = 'live' ORDER BY 1, 2
                """)
            return try (0..<rows.count).map { (try rows.int64($0, 0), try rows.int($0, 1), try rows.int($0, 2)) }
        }
    }

    /// Sealed volumes no fault has touched, none of whose replicas is on an
    /// excluded node, and far enough from the GC threshold that the master
    /// will not compact them while a fault uses them. A volume an earlier seed
    /// destroyed on every replica never comes back: no replica of it verifies
    /// clean, so no repair of a later fault there could ever find a source.
    func freshVolumes(_ z: Int) async throws -> Set<Int64> {
        let replicas = try await sealedReplicas(z)
        let zone = zones[z].zone
        let onExcluded = Set(replicas.filter { r in excludedNodes.contains("\(zone.name)/\(r.node)") }.map(\.volume))
        let nearGC = try await zones[z].index.pool.withConnection { c in
            let rows = try await c.query("""
                SELECT volume_id FROM blocks GROUP BY volume_id HAVING count(*) FILTER (WHERE state = 1) >= 0.3 * count(*)
                """)
            return Set(try (0..<rows.count).map { try rows.int64($0, 0) })
        }
        return Set(replicas.map(\.volume)).subtracting(onExcluded).subtracting(nearGC).filter {
            !usedVolumes.contains("\(zone.name)/\($0)") && !destroyedVolumes.contains("\(zone.name)/\($0)")
        }
    }

    /// A volume a fault now uses: no other fault of this seed takes it, and the load deletes nothing from it.
    func claim(_ z: Int, volume: Int64) {
        usedVolumes.insert("\(zones[z].zone.name)/\(volume)")
        load?.protect(zone: zones[z].zone.name, volume: volume)
    }

    /// A replica of a sealed volume no other fault has touched.
    func freshReplica(_ z: Int) async throws -> (volume: Int64, node: ClusterFile.Node, name: ExtentName, path: String) {
        let zone = zones[z].zone
        let fresh = try await freshVolumes(z)
        let candidates = try await sealedReplicas(z).filter { fresh.contains($0.volume) }.shuffled(using: &rng)
        guard let pick = candidates.first, let node = zone.nodes.first(where: { $0.id == pick.node }) else {
            throw DevClusterError("no untouched sealed volume left to damage in \(zone.name)")
        }
        claim(z, volume: pick.volume)
        let name = ExtentName(volume: UInt64(pick.volume), generation: UInt32(pick.generation))
        return (pick.volume, node, name, "\(node.dataDirectory)/extents/\(name)")
    }
}

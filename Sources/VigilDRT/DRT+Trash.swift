import Foundation
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilVerifier

/// A fault on an extent waiting in trash: the inspector must refuse to let
/// anything it cannot read be unlinked.
extension DRT {
    /// DRT deletes its own blocks from a sealed volume through the frontend,
    /// past the master's GC threshold, so the master compacts the volume and
    /// trashes its extents by recorded instructions; the first extent to reach
    /// a node's trash gets a data bit flipped at once, before its inspection
    /// and the dev retention (5 s after a passed one) let it be unlinked.
    /// Undone by flipping the bit back once caught (the inspection then passes
    /// and the master unlinks it).
    func damageTrashExtent(_ z: Int, seed: UInt64) async throws -> Injected {
        let zone = zones[z].zone
        let (volume, keys) = try await volumeDRTCanEmpty(z)
        let replicas = try await zones[z].index.replicas(of: volume).filter { $0.state == "live" }
        let frontend = FrontendClient(address: zone.frontend, token: cluster.frontendTokens?.delete ?? frontendToken)
        for key in keys { try await frontend.delete(key) }
        written[zone.name]?.removeAll { keys.contains($0) }
        usedKeys.formUnion(keys)

        let candidates = replicas.compactMap { r in zone.nodes.first { $0.id == r.node.id }.map { (node: $0, name: ExtentName(volume: UInt64(volume), generation: UInt32(r.generation))) } }
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            for (node, name) in candidates {
                let path = "\(node.dataDirectory)/trash/\(name)"
                guard let records = try? ExtentSurgery.records(path), !records.isEmpty else { continue }
                let record = records[Int.random(in: 0..<records.count, using: &rng)]
                let offset = record.offset + 64 + Int.random(in: 0..<max(1, record.length), using: &rng), bit = Int.random(in: 0..<8, using: &rng)
                try ExtentSurgery.flipBit(path, at: offset, bit: bit)
                return Injected(
                    seed: seed, fault: .trashExtentDamaged, target: "\(zone.name) \(node.name) trash/\(name) record at \(record.offset) (GC'd after DRT deleted \(keys.count) blocks)",
                    detection: Detection(zone: zone.name, verifier: "trash-inspector", kinds: [.trashInspectionFailed], subject: "node/\(node.id)/trash/\(name)",
                                         explains: Self.replicaExplains(node: node.id, volume: volume)),
                    undo: {
                        guard FileManager.default.fileExists(atPath: path) else { return "the damaged extent left trash before DRT could put the bit back" }
                        try ExtentSurgery.flipBit(path, at: offset, bit: bit)
                        return "DRT flipped the bit back (the inspection passes, the master unlinks it)"
                    })
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return Injected(seed: seed, fault: .trashExtentDamaged, target: "\(zone.name) volume \(volume): no extent reached trash within 120 s of DRT's deletes",
                        detection: Detection(zone: zone.name, verifier: "trash-inspector", kinds: [.trashInspectionFailed], subject: "node/%/trash/v\(volume).%"))
    }

    /// A fresh sealed volume whose live blocks DRT wrote itself (none in the
    /// File Journal, none another fault uses) and deleting them takes it past
    /// the GC threshold; returns those blocks.
    private func volumeDRTCanEmpty(_ z: Int) async throws -> (Int64, Set<BlockKey>) {
        let zone = zones[z].zone
        let journal = Set(journalKeys.values.joined())
        let deletable = Set(written[zone.name, default: []]).subtracting(journal).subtracting(destroyed).subtracting(usedKeys)
        for volume in try await freshVolumes(z).sorted() {
            let counts = try await zones[z].index.pool.withConnection { c in
                let rows = try await c.query("SELECT count(*), count(*) FILTER (WHERE state = 1) FROM blocks WHERE volume_id = $1", [.int64(volume)])
                return (try rows.int64(0, 0), try rows.int64(0, 1))
            }
            let mine = Set(try await zones[z].index.liveKeys(in: volume)).intersection(deletable)
            guard !mine.isEmpty, Double(counts.1 + Int64(mine.count)) >= Self.gcThreshold * Double(counts.0) + 1 else { continue }
            claim(z, volume: volume)
            return (volume, mine)
        }
        throw DevClusterError("no sealed volume in \(zone.name) that DRT can take past the GC threshold with its own blocks")
    }

    /// The master's default `--gc-threshold` (the dev profile keeps it).
    static let gcThreshold = 0.5
}

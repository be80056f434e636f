import Foundation
import VigilCore
import VigilVerifier
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres

extension DRT {
    func inject(_ fault: FaultClass) async throws -> Injected {
        switch fault {
        case .bitFlipData, .bitFlipHeader, .truncatedExtent, .insertedBytes, .misdirectedWrite, .staleExtent:
            let (volume, node, path) = try await freshReplica()
            let records = try ExtentSurgery.records(path)
            let record = records[Int.random(in: 0..<records.count, using: &rng)]
            switch fault {
            case .bitFlipData: try ExtentSurgery.flipDataBit(path, record: record, rng: &rng)
            case .bitFlipHeader: try ExtentSurgery.flipHeaderBit(path, record: record, rng: &rng)
            case .truncatedExtent: try ExtentSurgery.truncate(path, record: record)
            case .insertedBytes: try ExtentSurgery.insertBytes(path, record: record, rng: &rng)
            case .misdirectedWrite: try ExtentSurgery.misdirect(path, record: record, rng: &rng)
            default: try ExtentSurgery.makeStale(path, keeping: records[records.count / 2])
            }
            // The extent was untouched before: any problem the scrubber names in it is this fault.
            let kinds = ExtentProblem.allKinds.map(FindingKind.init) + [.extentIdentity]
            let name = "v\(volume).g1.extent"
            return Injected(
                fault: fault, target: "\(node.name) \(name) record at \(record.offset)",
                detection: Detection(verifier: "disk-scrubber", kinds: kinds, subject: "node/\(node.id)/extents/\(name)"),
                repair: (volume, node.id), injectedAt: 0)
        case .extentDeleted, .extentMovedToTrash:
            let (volume, node, path) = try await freshReplica()
            let name = "v\(volume).g1.extent"
            if fault == .extentDeleted {
                try FileManager.default.removeItem(atPath: path)
            } else {
                try FileManager.default.moveItem(atPath: path, toPath: "\(node.dataDirectory)/trash/\(name)")
            }
            return Injected(
                fault: fault, target: "\(node.name) \(name)",
                detection: Detection(verifier: "extent-referee", kinds: fault == .extentDeleted ? [.extentDeleted] : [.unjustifiedTrash],
                                     subject: "node/\(node.id)/\(name)"),
                repair: (volume, node.id), injectedAt: 0)
        case .trashWithLiveBlocks:
            let (volume, node, _) = try await freshReplica()
            _ = try await index.recordInstruction(kind: "trash", node: node.id, volume: volume, generation: 1, reason: "drt: a master bug")
            return Injected(
                fault: fault, target: "\(node.name) v\(volume).g1.extent (trash instruction for live data)",
                detection: Detection(verifier: "trash-inspector", kinds: [.trashInspectionFailed], subject: "node/\(node.id)/trash/v\(volume).g1.extent"),
                repair: nil, injectedAt: 0, restore: (volume, node))
        case .indexWrongVolume:
            let (volume, _, _) = try await freshReplica()
            let other = try await sealedReplicas().map(\.volume).first { $0 != volume && !usedVolumes.contains($0) } ?? volume
            let key = try await index.liveKeys(in: volume).filter { !usedKeys.contains($0) }.randomElement(using: &rng)!
            usedKeys.insert(key)
            try await index.pool.withConnection { c in
                try await c.query("UPDATE blocks SET volume_id = $1 WHERE key = $2", [.int64(other), .bytea(key.bytes)])
            }
            return Injected(
                fault: fault, target: "block \(key.hex.prefix(16))… row moved from volume \(volume) to \(other)",
                detection: Detection(verifier: "metadata-scanner", kinds: [.missing], subject: "%/block/\(key.hex)"), repair: nil, injectedAt: 0)
        case .indexRowDeleted, .blockMissingFromZone:
            guard let key = journalKeys.first(where: { !usedKeys.contains($0) }) else { throw DevClusterError("no journal block left") }
            usedKeys.insert(key)
            try await index.pool.withConnection { c in
                if fault == .indexRowDeleted {
                    try await c.query("DELETE FROM blocks WHERE key = $1", [.bytea(key.bytes)])
                } else {
                    try await c.query("UPDATE blocks SET state = 1, deleted_at = now() WHERE key = $1", [.bytea(key.bytes)])
                }
            }
            return Injected(
                fault: fault, target: "\(zone.name) block \(key.hex.prefix(16))… \(fault == .indexRowDeleted ? "row deleted" : "gone from the zone")",
                detection: Detection(verifier: "cross-zone-verifier", kinds: [.missingInZone], subject: "zone/\(zone.name)/block/\(key.hex)/%", inJournal: true),
                repair: nil, injectedAt: 0)
        case .sampleCorruptedEverywhere:
            return try await corruptFreshSample()
        }
    }

    /// Writes a block the frontend samples (1% by key) and corrupts it on every replica at once.
    private func corruptFreshSample() async throws -> Injected {
        var data: [UInt8]
        repeat {
            data = (0..<2048).map { _ in UInt8.random(in: 0...255, using: &rng) }
        } while BlockKey.of(data).w0 >= UInt64(0.01 * Double(UInt64.max))
        let key = BlockKey(hex: try await frontendClient(zone).put(data).key)!
        usedKeys.insert(key)
        let row = try await index.lookup(key)!
        usedVolumes.insert(row.volume)
        for replica in try await index.replicas(of: row.volume) {
            guard let node = zone.nodes.first(where: { $0.id == replica.node.id }) else { continue }
            let path = "\(node.dataDirectory)/extents/v\(row.volume).g\(replica.generation).extent"
            guard let record = try ExtentSurgery.records(path).first(where: { $0.key == key }) else { continue }
            try ExtentSurgery.flipDataBit(path, record: record, rng: &rng)
        }
        return Injected(
            fault: .sampleCorruptedEverywhere, target: "sampled block \(key.hex.prefix(16))… on every replica of volume \(row.volume)",
            detection: Detection(verifier: "storage-watcher", kinds: [.corrupt, .notFound, .wrongLength], subject: "stage/%/block/\(key.hex)"),
            repair: nil, injectedAt: 0)
    }
}

import Foundation
import VigilCore
import VigilVerifier
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres

extension DRT {
    func inject(_ fault: FaultClass, zone z: Int, open: Bool, seed: UInt64) async throws -> Injected {
        let zone = zones[z].zone
        switch fault {
        case .bitFlipData, .bitFlipHeader, .truncatedExtent, .insertedBytes, .misdirectedWrite, .staleExtent, .latentSectorError:
            let pick = open ? try await openReplica(z) : try await freshReplica(z)
            let records = try ExtentSurgery.records(pick.path)
            let record = records[Int.random(in: 0..<records.count, using: &rng)]
            let kinds: [String]
            switch fault {
            case .bitFlipData: try ExtentSurgery.flipDataBit(pick.path, record: record, rng: &rng); kinds = ["data_crc"]
            case .bitFlipHeader: try ExtentSurgery.flipHeaderBit(pick.path, record: record, rng: &rng); kinds = ["header_crc"]
            case .truncatedExtent: try ExtentSurgery.truncate(pick.path, record: record); kinds = ["truncated_tail"]
            case .insertedBytes: try ExtentSurgery.insertBytes(pick.path, record: record, rng: &rng); kinds = ["bad_magic", "header_crc", "footer_mismatch"]
            case .misdirectedWrite: try ExtentSurgery.misdirect(pick.path, record: record, rng: &rng); kinds = ["key_mismatch"]
            case .latentSectorError: try ExtentSurgery.flipDataBitKeepingMtime(pick.path, record: record, rng: &rng); kinds = ["data_crc"]
            default: try ExtentSurgery.makeStale(pick.path, keeping: records[records.count / 2]); kinds = ["truncated_tail", "footer_corrupt", "extent_identity"]
            }
            return Injected(
                seed: seed, fault: fault, target: "\(zone.name) \(pick.node.name) \(open ? "open" : "sealed") \(pick.name) record at \(record.offset)",
                detection: scrubbed(z, node: pick.node.id, volume: pick.volume, name: pick.name, kinds: kinds),
                repair: .replica(zone: zone.name, volume: pick.volume, node: pick.node.id))
        case .extentDeleted, .extentMovedToTrash:
            let pick = try await freshReplica(z)
            if fault == .extentDeleted {
                try FileManager.default.removeItem(atPath: pick.path)
            } else {
                try FileManager.default.moveItem(atPath: pick.path, toPath: "\(pick.node.dataDirectory)/trash/\(pick.name)")
            }
            var detection = scrubbed(z, node: pick.node.id, volume: pick.volume, name: pick.name, kinds: [])
            detection.verifier = "extent-referee"
            detection.kinds = [fault == .extentDeleted ? .extentDeleted : .unjustifiedTrash]
            detection.subject = "node/\(pick.node.id)/\(pick.name)"
            return Injected(seed: seed, fault: fault, target: "\(zone.name) \(pick.node.name) \(pick.name)", detection: detection,
                            repair: .replica(zone: zone.name, volume: pick.volume, node: pick.node.id))
        case .trashWithLiveBlocks:
            return try await trashLiveExtent(z, seed: seed)
        case .trashExtentDamaged:
            return try await damageTrashExtent(z, seed: seed)
        case .indexWrongVolume:
            let pick = try await freshReplica(z)
            let other = try await freshVolumes(z).sorted().first { $0 != pick.volume } ?? pick.volume
            claim(z, volume: other)
            let key = try await zones[z].index.liveKeys(in: pick.volume).filter { !usedKeys.contains($0) }.randomElement(using: &rng)!
            usedKeys.insert(key)
            let pool = zones[z].index.pool
            try await pool.withConnection { c in
                try await c.query("UPDATE blocks SET volume_id = $1 WHERE key = $2", [.int64(other), .bytea(key.bytes)])
            }
            return Injected(
                seed: seed, fault: fault, target: "\(zone.name) block \(key.hex.prefix(16))… row moved from volume \(pick.volume) to \(other)",
                detection: Detection(zone: zone.name, verifier: "metadata-scanner", kinds: [.missing], subject: "node/%/volume/\(other)/block/\(key.hex)",
                                     explains: ["%block/\(key.hex)%"]),
                undo: {
                    try await pool.withConnection { c in
                        try await c.query("UPDATE blocks SET volume_id = $1 WHERE key = $2", [.int64(pick.volume), .bytea(key.bytes)])
                    }
                    return "DRT put the row back in volume \(pick.volume)"
                })
        case .indexRowDeleted, .blockMissingFromZone:
            return try await hideJournalBlock(z, fault: fault, seed: seed)
        case .sampleCorruptedEverywhere:
            return try await corruptFreshSample(z, seed: seed)
        case .identity, .metadataDrift, .ackedWriteLost, .damageAfterSeal, .wrongCredential, .hostileSample:
            return try await injectMore(fault, zone: z, seed: seed)
        case .nodeLost:
            throw DevClusterError("node_lost is injected once, after every seed")
        }
    }

    /// The scrubber's finding on one replica's extent, and what else that damage
    /// explains: any verifier's view of that copy, and the trash inspector refusing
    /// a trash extent (GC's, a repair's) whose blocks now live in that volume
    /// because this copy no longer serves them intact.
    func scrubbed(_ z: Int, node: Int, volume: Int64, name: ExtentName, kinds: [String]) -> Detection {
        var detection = Detection(
            zone: zones[z].zone.name, verifier: "disk-scrubber", kinds: kinds.map(FindingKind.init(rawValue:)),
            subject: "node/\(node)/extents/\(name)", explains: Self.replicaExplains(node: node, volume: volume),
            alternative: ("metadata-scanner", [.missing], "node/\(node)/volume/\(volume)/block/%"))
        detection.explainsDetails = ["live in volume \(volume); node \(node) has no intact copy%"]
        return detection
    }

    /// Subjects a damaged replica accounts for: any verifier's view of that
    /// node's copy of the volume, and the volume's replica count.
    static func replicaExplains(node: Int, volume: Int64) -> [String] {
        ["node/\(node)/extents/v\(volume).%", "node/\(node)/trash/v\(volume).%", "node/\(node)/v\(volume).%",
         "node/\(node)/volume/\(volume)/block/%", "volume/\(volume)/%"]
    }

    /// Deletes a File Journal block's row in a zone, or marks it deleted there.
    private func hideJournalBlock(_ z: Int, fault: FaultClass, seed: UInt64) async throws -> Injected {
        let zone = zones[z].zone
        guard let key = journalKeys[zone.name, default: []].first(where: { !usedKeys.contains($0) }) else { throw DevClusterError("no journal block left") }
        usedKeys.insert(key)
        let pool = zones[z].index.pool
        let row = try await zones[z].index.lookup(key)!
        try await pool.withConnection { c in
            if fault == .indexRowDeleted {
                try await c.query("DELETE FROM blocks WHERE key = $1", [.bytea(key.bytes)])
            } else {
                try await c.query("UPDATE blocks SET state = 1, deleted_at = now() WHERE key = $1", [.bytea(key.bytes)])
            }
        }
        return Injected(
            seed: seed, fault: fault, target: "\(zone.name) block \(key.hex.prefix(16))… \(fault == .indexRowDeleted ? "row deleted" : "gone from the zone")",
            detection: Detection(zone: zone.name, verifier: "cross-zone-verifier", kinds: [.missingInZone], subject: "zone/\(zone.name)/block/\(key.hex)/%",
                                 inJournal: true, explains: ["%block/\(key.hex)%"]),
            undo: {
                try await pool.withConnection { c in
                    try await c.query("DELETE FROM blocks WHERE key = $1", [.bytea(key.bytes)])
                    try await c.query("INSERT INTO blocks (key, volume_id, length, checksum) VALUES ($1, $2, $3, $4)",
                                      [.bytea(key.bytes), .int64(row.volume), .int32(row.length), .int32(Int32(bitPattern: row.checksum))])
                }
                return "DRT put the index row back"
            })
    }

    /// Writes a block the frontend samples (1% by key) and corrupts it on every replica at once.
    private func corruptFreshSample(_ z: Int, seed: UInt64) async throws -> Injected {
        let zone = zones[z].zone
        var data: [UInt8]
        repeat {
            data = (0..<2048).map { _ in UInt8.random(in: 0...255, using: &rng) }
        } while BlockKey.of(data).w0 >= UInt64(0.01 * Double(UInt64.max))
        let key = try await put(data, via: frontendClient(zone), zone: zone.name)
        usedKeys.insert(key)
        destroyed.insert(key)
        let row = try await zones[z].index.lookup(key)!
        claim(z, volume: row.volume)
        destroyedVolumes.insert("\(zone.name)/\(row.volume)")
        var explains = ["%block/\(key.hex)%"]
        for replica in try await zones[z].index.replicas(of: row.volume) {
            guard let node = zone.nodes.first(where: { $0.id == replica.node.id }) else { continue }
            let path = "\(node.dataDirectory)/extents/v\(row.volume).g\(replica.generation).extent"
            guard let record = try ExtentSurgery.records(path).first(where: { $0.key == key }) else { continue }
            try ExtentSurgery.flipDataBit(path, record: record, rng: &rng)
            explains += Self.replicaExplains(node: node.id, volume: row.volume)
        }
        return Injected(
            seed: seed, fault: .sampleCorruptedEverywhere, target: "\(zone.name) sampled block \(key.hex.prefix(16))… on every replica of volume \(row.volume)",
            detection: Detection(zone: zone.name, verifier: "storage-watcher", kinds: [.corrupt, .notFound, .wrongLength], subject: "stage/%/block/\(key.hex)", explains: explains))
    }
}

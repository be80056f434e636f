import Foundation
import VigilCore
import VigilDev
import VigilKafka
import VigilPostgres
import VigilVerifier

/// The fault classes beyond the first thirteen: identity, metadata drift, lost
/// acknowledged writes, damage after the seal, a wrong credential, hostile samples.
extension DRT {
    func injectMore(_ fault: FaultClass, zone z: Int, seed: UInt64) async throws -> Injected {
        let zone = zones[z].zone
        switch fault {
        case .identity:
            let pick = try await freshReplica(z)
            let donor = try await freshReplica(z)
            let bytes = try ExtentSurgery.load(donor.path)
            try ExtentSurgery.save(bytes, pick.path)
            return Injected(
                seed: seed, fault: fault, target: "\(zone.name) \(pick.node.name) \(pick.name) holds \(donor.name)'s bytes",
                detection: scrubbed(z, node: pick.node.id, volume: pick.volume, name: pick.name, kinds: ["extent_identity"]),
                repair: .replica(zone: zone.name, volume: pick.volume, node: pick.node.id))
        case .damageAfterSeal:
            let pick = try await freshReplica(z)
            let garbage = (0..<Int.random(in: 1...4096, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            try ExtentSurgery.append(garbage, pick.path)
            return Injected(
                seed: seed, fault: fault, target: "\(zone.name) \(pick.node.name) \(pick.name) +\(garbage.count) bytes after its footer",
                detection: scrubbed(z, node: pick.node.id, volume: pick.volume, name: pick.name, kinds: ["footer_corrupt", "length_past_end", "footer_mismatch"]),
                repair: .replica(zone: zone.name, volume: pick.volume, node: pick.node.id))
        case .ackedWriteLost:
            let pick = try await openReplica(z)
            let last = try ExtentSurgery.records(pick.path).last!
            try ExtentSurgery.cut(pick.path, at: last.offset)
            var detection = scrubbed(z, node: pick.node.id, volume: pick.volume, name: pick.name, kinds: [])
            detection.verifier = "metadata-scanner"
            detection.kinds = [.missing]
            detection.subject = "node/\(pick.node.id)/volume/\(pick.volume)/block/\(last.key.hex)"
            // Under load the node appends again at its own offset before it notices the cut:
            // the lost record becomes a hole (zeros) where a record header should start.
            detection.alternative = ("disk-scrubber", ["bad_magic", "header_crc", "truncated_tail"].map(FindingKind.init(rawValue:)), "node/\(pick.node.id)/extents/\(pick.name)")
            return Injected(
                seed: seed, fault: fault, target: "\(zone.name) \(pick.node.name) open \(pick.name) lost its last record \(last.key.hex.prefix(16))…",
                detection: detection, repair: .replica(zone: zone.name, volume: pick.volume, node: pick.node.id))
        case .metadataDrift:
            let pick = try await freshReplica(z)
            let key = try await zones[z].index.liveKeys(in: pick.volume).randomElement(using: &rng)!
            usedKeys.insert(key)
            let pool = zones[z].index.pool
            let drift: @Sendable () async throws -> Void = {
                _ = try await pool.withConnection { c in try await c.query("UPDATE blocks SET checksum = checksum # 1 WHERE key = $1", [.bytea(key.bytes)]) }
            }
            try await drift()
            return Injected(
                seed: seed, fault: fault, target: "\(zone.name) block \(key.hex.prefix(16))… index checksum differs from its record",
                detection: Detection(zone: zone.name, verifier: "metadata-scanner", kinds: [.recordMismatch], subject: "volume/\(pick.volume)/block/\(key.hex)/record",
                                     explains: ["%block/\(key.hex)%"]),
                undo: { try await drift(); return "DRT put the index checksum back" })
        case .wrongCredential:
            return try await restartWithWrongTokens(z, seed: seed)
        case .hostileSample:
            let topic = "vigil.samples.\(zone.name)"
            let producer = try KafkaProducer(settings: ["bootstrap.servers": cluster.kafka])
            let garbage = (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let partition = Int32.random(in: 0..<Int32(DevCluster.samplePartitions), using: &rng)
            try producer.produce(topic: topic, key: Array("drt".utf8), value: garbage, partition: partition)
            try await producer.flush(timeout: .seconds(10))
            return Injected(
                seed: seed, fault: fault, target: "\(topic) partition \(partition): \(garbage.count) bytes of garbage",
                detection: Detection(zone: zone.name, verifier: "storage-watcher", kinds: [.malformedSample], subject: "topic/\(topic)/partition/\(partition)"))
        default:
            throw DevClusterError("\(fault.rawValue) is not one of the newer classes")
        }
    }

    /// A replica of the zone's open volume with records in it: DRT writes a few
    /// small blocks first, so the volume the frontend writes to now has some.
    /// When that volume is one an earlier fault already damaged, DRT fills it
    /// (blocks of 1 MiB) until the frontend seals it and opens a fresh one:
    /// with several open-extent faults per zone, there is no spare open volume
    /// to wait for otherwise.
    func openReplica(_ z: Int) async throws -> (volume: Int64, node: ClusterFile.Node, name: ExtentName, path: String) {
        let zone = zones[z].zone
        for _ in 0..<40 {
            var key: BlockKey?
            for _ in 0..<3 {
                key = try await put((0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }, via: frontendClient(zone), zone: zone.name)
            }
            guard let row = try await zones[z].index.lookup(key!) else { continue }
            guard try await zones[z].index.volume(row.volume)?.state == "open", !usedVolumes.contains("\(zone.name)/\(row.volume)") else {
                try await put((0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &rng) }, via: frontendClient(zone), zone: zone.name)
                continue
            }
            let replicas = try await zones[z].index.replicas(of: row.volume).filter { !excludedNodes.contains("\(zone.name)/\($0.node.id)") && $0.state == "live" }
            guard let replica = replicas.randomElement(using: &rng), let node = zone.nodes.first(where: { $0.id == replica.node.id }) else { continue }
            claim(z, volume: row.volume)
            let name = ExtentName(volume: UInt64(row.volume), generation: UInt32(replica.generation))
            return (row.volume, node, name, "\(node.dataDirectory)/extents/\(name)")
        }
        throw DevClusterError("no untouched open volume with records in \(zone.name)")
    }
}

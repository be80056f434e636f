import Foundation
import VigilCore
import VigilNodeClient
import VigilPostgres
import VigilVerifier

extension TrashInspector {
    /// Inspects one trash extent and records the result.
    func inspect(_ node: NodeRecord, _ name: ExtentName) async throws -> StepOutcome {
        var outcome = StepOutcome(cursor: [], passComplete: false)
        let staged = "\(config.workDirectory)/inspect-\(UUID().uuidString).extent"
        try FileManager.default.createDirectory(atPath: config.workDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: staged) }
        do {
            try await NodeClient(address: node.address, token: config.nodeToken).downloadExtent(name, location: "trash", to: staged)
        } catch let error as NodeClientError where error.isNotFound {
            return outcome  // unlinked or restored meanwhile
        } catch let error as NodeClientError where error.isUnreachable {
            outcome.unreachable = ["node/\(node.id)"]
            return outcome
        }
        let keys = try await blockingIO { () throws -> [BlockKey] in
            var keys: [BlockKey] = []
            _ = try ExtentReader(path: staged).scan(options: { var o = ExtentScanOptions(); o.verifyKeys = false; return o }(), onRecord: { keys.append($0.key) })
            return keys
        }
        var failures: [(BlockKey, String)] = []
        var presenceByVolume: [Int64: [(BlockKey)]] = [:]
        for key in Set(keys) {
            guard let row = try await index.lookup(key) else { continue }  // never committed: nothing refers to it
            if row.state == .deleted { continue }
            presenceByVolume[row.volume, default: []].append(key)
        }
        // Live blocks must be present on at least R live replicas other than this trash extent.
        for (volume, volumeKeys) in presenceByVolume {
            let record = try await index.volume(volume)
            let replicas = try await index.replicas(of: volume).filter { $0.state == "live" && !($0.node.id == node.id && volume == Int64(name.volume)) }
            var presentCount = [BlockKey: Int]()
            for replica in replicas {
                do {
                    let answers = try await NodeClient(address: replica.node.address, token: config.nodeToken)
                        .check(volumeKeys.map { (key: $0, volume: UInt64(volume)) })
                    for (key, answer) in zip(volumeKeys, answers) where answer == .present { presentCount[key, default: 0] += 1 }
                } catch {
                    outcome.unreachable.append("node/\(replica.node.id)")
                }
            }
            let needed = record?.replication ?? 3
            for key in volumeKeys where presentCount[key, default: 0] < needed {
                failures.append((key, "live in volume \(volume) but on \(presentCount[key, default: 0]) of \(needed) replicas elsewhere"))
            }
        }
        let subject = "node/\(node.id)/trash/\(name)"
        let passed = failures.isEmpty && outcome.unreachable.isEmpty
        if failures.isEmpty && !outcome.unreachable.isEmpty {
            return outcome  // cannot judge while a replica does not answer
        }
        try await index.recordInspection(node: node.id, volume: Int64(name.volume), generation: Int(name.generation), passed: passed,
                                         checked: keys.count, failures: failures.count)
        outcome.items = 1
        if passed {
            outcome.cleanPrefixes.append(subject)
        } else {
            outcome.findings.append(Finding(
                kind: "trash_inspection_failed", subject: subject, severity: .critical,
                details: ["zone": config.zone, "node": "\(node.id)", "extent": name.description, "volume": "\(name.volume)",
                          "blocks_checked": "\(keys.count)", "failures": "\(failures.count)",
                          "key": failures[0].0.hex, "detail": failures[0].1]))
        }
        return outcome
    }
}

import VigilCore
import VigilLedger
import VigilNodeClient
import VigilPostgres

/// What the inspector concluded about one key of a trash extent.
enum KeyVerdict: Sendable, Equatable {
    /// Marked deleted in the index: nothing refers to it.
    case deleted
    /// No index row: the write never committed, so no client was ever told it
    /// was stored. Not data loss; counted in the inspection's details.
    case neverCommitted
    /// Live, and read back intact from every live replica of its volume other
    /// than this extent, at least R of them.
    case liveElsewhere
    /// Observed unsafe: the reason names the volume and the replica.
    case failed(String)
    /// A replica it needed did not answer (or refused the token).
    case notJudged
}

extension TrashInspector {
    /// Judges `keys` of the trash extent `name` on node `trashNode`. Keys that fail
    /// are judged once more from a fresh read of their rows and replicas, so GC,
    /// drain or repair moving a block during the inspection is not an accusation.
    /// Nodes in `silent` did not answer earlier in this step and are not asked.
    func judge(_ keys: [BlockKey], trashNode: Int, name: ExtentName, silent: UnjudgedPeers, peers: inout UnjudgedPeers) async throws -> [BlockKey: KeyVerdict] {
        var verdicts = try await judgeOnce(keys, trashNode: trashNode, name: name, silent: silent, peers: &peers)
        let accused = verdicts.filter { if case .failed = $0.value { true } else { false } }.map(\.key)
        if !accused.isEmpty {
            let again = try await judgeOnce(accused, trashNode: trashNode, name: name, silent: silent, peers: &peers)
            verdicts.merge(again) { $1 }
            let cleared = again.values.filter { if case .failed = $0 { false } else { true } }.count
            if cleared > 0 {
                logger.info("re-reading cleared keys that failed the first look (moved under the inspection)", metadata: [
                    "vigil.node": "\(trashNode)", "vigil.extent": "\(name)", "vigil.cleared": "\(cleared)",
                ])
            }
        }
        return verdicts
    }

    private func judgeOnce(_ keys: [BlockKey], trashNode: Int, name: ExtentName, silent: UnjudgedPeers, peers: inout UnjudgedPeers) async throws -> [BlockKey: KeyVerdict] {
        var verdicts: [BlockKey: KeyVerdict] = [:]
        let rows = try await index.rows(of: keys)  // one round trip, the keys as one parameter
        var liveByVolume: [Int64: [BlockRow]] = [:]
        for key in keys {
            guard let row = rows[key] else { verdicts[key] = .neverCommitted; continue }
            if row.state == .deleted { verdicts[key] = .deleted; continue }
            liveByVolume[row.volume, default: []].append(row)
        }
        await holdReferenced(&verdicts, name: name)  // deleted or unindexed, yet a live file references it
        for (volume, live) in liveByVolume.sorted(by: { $0.key < $1.key }) {
            let judged = try await judgeLive(live, volume: volume, trashNode: trashNode, name: name, silent: silent, peers: &peers)
            verdicts.merge(judged) { $1 }
        }
        return verdicts
    }

    /// Live blocks of one volume: each of its live replicas other than this trash
    /// extent — at least R — must return the block's bytes, verified.
    private func judgeLive(
        _ rows: [BlockRow], volume: Int64, trashNode: Int, name: ExtentName, silent: UnjudgedPeers, peers: inout UnjudgedPeers
    ) async throws -> [BlockKey: KeyVerdict] {
        guard let record = try await index.volume(volume) else {
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.key, .failed("live in volume \(volume), which is not in the index")) })
        }
        // This extent's own replica row never counts, whatever its state says (it
        // may still say live for a moment after the extent moved to trash); a
        // copy of another generation on the same node (a repair's) does.
        let all = try await index.replicas(of: volume)
        let replicas = all.filter {
            $0.state == ReplicaState.live.rawValue && !($0.node.id == trashNode && UInt64(volume) == name.volume && $0.generation == Int(name.generation))
        }
        if replicas.count < record.replication, replicas.count + all.filter({ $0.state == ReplicaState.repairing.rawValue }).count >= record.replication {
            // Short only by a replica the master is rebuilding right now (often
            // this very copy's, being replaced under a new generation): judged
            // once the repair lands (never unlinked meanwhile), not accused.
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.key, .notJudged) })
        }
        guard replicas.count >= record.replication else {
            let reason = "live in volume \(volume), which has \(replicas.count) live replicas besides this extent; \(record.replication) needed"
            return Dictionary(uniqueKeysWithValues: rows.map { ($0.key, .failed(reason)) })
        }
        var bad: [BlockKey: String] = [:]
        var unjudged = Set<BlockKey>()
        for replica in replicas {
            if let (trouble, message) = silent.trouble(of: replica.node.id) {
                // Already silent in this step's listing: not asked again (each try costs a timeout).
                peers.note(replica.node.id, trouble, message)
                unjudged.formUnion(rows.map(\.key))
                continue
            }
            let reads = try await readBack(rows, volume: volume, from: replica.node)
            let swapped = try await replicaChanged(since: replica, answered: reads.results)
            for (key, result) in reads.results {
                switch result {
                case .intact: break
                case .notFound where swapped: unjudged.insert(key)
                case .bad(let reason), .notFound(let reason): if bad[key] == nil { bad[key] = "live in volume \(volume); \(reason)" }
                }
            }
            if let (trouble, error) = reads.trouble {
                peers.note(replica.node.id, trouble, "\(error)")
                unjudged.formUnion(rows.map(\.key).filter { reads.results[$0] == nil })
            }
        }
        var verdicts: [BlockKey: KeyVerdict] = [:]
        for row in rows {
            verdicts[row.key] = bad[row.key].map { .failed($0) } ?? (unjudged.contains(row.key) ? .notJudged : .liveElsewhere)
        }
        return verdicts
    }

    /// Whether `replica`, which answered not found for some block, stopped being
    /// the live copy the inspector asked (mid-repair, another generation, gone)
    /// by the time it answered: its not-found then judges nothing. Only asked
    /// when some answer was not found.
    private func replicaChanged(since replica: ReplicaRecord, answered: [BlockKey: ReadBack]) async throws -> Bool {
        guard answered.values.contains(where: { if case .notFound = $0 { true } else { false } }) else { return false }
        let now = try await index.replicas(of: replica.volume).first { $0.node.id == replica.node.id }
        guard let now, now.state == ReplicaState.live.rawValue, now.generation == replica.generation else {
            logger.info("a replica answered not found while it changed (a repair or a move): not judged from it", metadata: [
                "vigil.node": "\(replica.node.id)", "vigil.volume": "\(replica.volume)",
                "vigil.state": "\(now.map { "\($0.state) g\($0.generation)" } ?? "gone")",
            ])
            return true
        }
        return false
    }
}

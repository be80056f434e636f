import VigilCore
import VigilLedger
import VigilNodeClient
import VigilPostgres
import VigilVerifier

/// What is still wrong after re-reading the index and asking the nodes again.
struct Confirmed {
    var blocks: [(node: Int, row: BlockRow, state: Presence)] = []
    var unknown: [BlockRow] = []
    var thinVolumes: [(volume: Int64, set: VolumeReplicaSet)] = []
    /// The live replicas' generations when re-read, by volume and node: what a repair request names.
    var generations: [Int64: [Int: Int]] = [:]
}

extension MetadataScanner {
    /// Re-reads the suspects' rows and their volumes' replicas as they are now
    /// (GC, compaction, drain and repair move blocks and replicas under a pass,
    /// and the page and replica map may be older than that), asks the nodes
    /// still expected to hold them once more, and keeps only what is still wrong.
    func confirm(suspects: [Int: [BlockRow]], unknown: [BlockRow], thinVolumes: Set<Int64>) async throws -> Confirmed {
        var confirmed = Confirmed()
        guard !suspects.isEmpty || !unknown.isEmpty || !thinVolumes.isEmpty else { return confirmed }
        let index = BlockIndex(pool: pool)
        let keys = Set(suspects.values.flatMap { $0.map(\.key) } + unknown.map(\.key))
        let current = try await index.rows(of: Array(keys))
        let volumeIDs = Set(current.values.filter { $0.state == .live }.map(\.volume)).union(thinVolumes)
        let sets = try await index.replicaSets(of: volumeIDs)

        var again: [Int: [BlockRow]] = [:]
        for (node, rows) in suspects {
            for row in rows {
                guard let now = current[row.key], now.state == .live, sets[now.volume]?.liveNodes.contains(node) == true else { continue }
                again[node, default: []].append(now)
            }
        }
        confirmed.generations = sets.mapValues(\.liveGenerations)
        for (node, answer) in try await askNodes(again) {
            guard case .answered(let presence) = answer else { continue }  // judged on a later look
            for (row, state) in zip(again[node]!, presence) where state != .present {
                confirmed.blocks.append((node, row, state))
            }
        }
        confirmed.unknown = unknown.compactMap { row in
            guard let now = current[row.key], now.state == .live, sets[now.volume] == nil else { return nil }
            return now
        }
        for id in thinVolumes.sorted() {
            // A replica the master is rebuilding is being restored, not lost (a
            // repair that fails is the repair queue's to report).
            guard let set = sets[id], VolumeState(rawValue: set.state) != .retired, set.holdsLiveBlocks,
                  set.liveNodes.count + set.repairingNodes.count < set.replication else { continue }
            confirmed.thinVolumes.append((id, set))
        }
        let suspected = suspects.values.reduce(0) { $0 + $1.count } + unknown.count + thinVolumes.count
        suspectsCleared.increment(by: max(0, suspected - confirmed.blocks.count - confirmed.unknown.count - confirmed.thinVolumes.count))
        return confirmed
    }

    /// One finding per condition: a block missing (or only in trash) on a node; a
    /// block whose index row disagrees with the records held (one finding naming
    /// every node that disagrees); a block of an unknown volume; a thin volume.
    func findings(_ confirmed: Confirmed) -> [Finding] {
        var out: [Finding] = []
        var mismatched: [BlockKey: (row: BlockRow, nodes: [Int])] = [:]
        for (node, row, state) in confirmed.blocks {
            if state == .mismatch {
                mismatched[row.key, default: (row, [])].nodes.append(node)
                continue
            }
            let kind = state == .trashOnly ? "only_in_trash" : "missing"
            missingBlocks.increment()
            out.append(Finding(
                kind: kind, subject: "node/\(node)/volume/\(row.volume)/block/\(row.key.hex)",
                severity: state == .trashOnly ? .critical : .error,
                details: ["zone": config.zone, "node": "\(node)", "volume": "\(row.volume)", "key": row.key.hex]))
        }
        for (key, entry) in mismatched.sorted(by: { $0.key < $1.key }) {
            out.append(Finding(
                kind: "record_mismatch", subject: "volume/\(entry.row.volume)/block/\(key.hex)/record", severity: .error,
                details: ["zone": config.zone, "volume": "\(entry.row.volume)", "key": key.hex,
                          "nodes": entry.nodes.sorted().map(String.init).joined(separator: ","),
                          "index_length": "\(entry.row.length)", "index_checksum": "\(entry.row.checksum)",
                          "detail": "the index's length or checksum differs from the record the node holds"]))
        }
        for row in confirmed.unknown {
            out.append(Finding(
                kind: "unknown_volume", subject: "block/\(row.key.hex)", severity: .critical,
                details: ["zone": config.zone, "key": row.key.hex, "volume": "\(row.volume)"]))
        }
        for (id, set) in confirmed.thinVolumes {
            out.append(Finding(
                kind: set.liveNodes.isEmpty ? "no_replicas" : "under_replicated", subject: "volume/\(id)/replicas",
                severity: set.liveNodes.isEmpty ? .critical : .error,
                details: ["zone": config.zone, "volume": "\(id)", "live_replicas": "\(set.liveNodes.count)", "replication": "\(set.replication)"]))
        }
        return out
    }

    /// Remembers (or forgets, with nil) that a node refuses our credential.
    func noteRefusal(node: Int, message: String?) {
        refusing.withLock { $0[node] = message }
    }

    /// `/healthz` conditions: every node that refuses our credential, and what to fix.
    func refusals() -> [String] {
        refusing.withLock { $0.sorted { $0.key < $1.key }.map(\.value) }
    }
}

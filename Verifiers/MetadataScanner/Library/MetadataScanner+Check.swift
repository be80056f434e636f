import VigilCore
import VigilNodeClient
import VigilPostgres
import VigilVerifier

extension MetadataScanner {
    /// Checks rows against their volumes' live replicas; `onlyNode` limits the
    /// presence checks to one node (a recheck). Returns the step's outcome and
    /// the nodes that did not answer.
    func check(_ rows: [BlockRow], onlyNode: Int?) async throws -> (outcome: StepOutcome, unanswered: [Int]) {
        var outcome = StepOutcome(cursor: [], passComplete: false)
        guard let first = rows.first, let last = rows.last else { return (outcome, []) }
        let live = rows.filter { $0.state == .live }
        let volumes = try await replicas.lookup(Set(live.map(\.volume)))
        var perNode: [Int: [BlockRow]] = [:]
        var flaggedVolumes = Set<Int64>()
        for row in live {
            guard let volume = volumes[row.volume] else {
                outcome.findings.append(Finding(
                    kind: "unknown_volume", subject: "block/\(row.key.hex)", severity: .critical,
                    details: ["zone": config.zone, "key": row.key.hex, "volume": "\(row.volume)"]))
                continue
            }
            if onlyNode == nil, volume.liveNodes.count < volume.replication, flaggedVolumes.insert(row.volume).inserted {
                outcome.findings.append(Finding(
                    kind: volume.liveNodes.isEmpty ? "no_replicas" : "under_replicated", subject: "volume/\(row.volume)/replicas",
                    severity: volume.liveNodes.isEmpty ? .critical : .error,
                    details: ["zone": config.zone, "volume": "\(row.volume)", "live_replicas": "\(volume.liveNodes.count)", "replication": "\(volume.replication)"]))
            }
            for node in volume.liveNodes where onlyNode == nil || onlyNode == node {
                perNode[node, default: []].append(row)
            }
        }
        if onlyNode == nil {
            outcome.items = rows.count
            outcome.cleanKeyRanges.append(CleanKeyRange(from: first.key.hex, to: last.key.hex, kinds: ["unknown_volume"]))
        }
        let answers = await askNodes(perNode)
        var unanswered: [Int] = []
        for (node, answer) in answers {
            guard let presence = answer else {
                unanswered.append(node)
                outcome.unreachable.append("node/\(node)")
                outcome.findings.append(Finding(
                    kind: "node_unreachable", subject: "node/\(node)/unreachable", severity: .warning,
                    details: ["zone": config.zone, "node": "\(node)"]))
                continue
            }
            outcome.cleanPrefixes.append("node/\(node)/unreachable")
            outcome.cleanKeyRanges.append(CleanKeyRange(from: first.key.hex, to: last.key.hex, kinds: Self.blockKinds, match: ["node": "\(node)"]))
            for (row, state) in zip(perNode[node]!, presence) where state != .present {
                let kind = state == .trashOnly ? "only_in_trash" : "missing"
                missingBlocks.increment()
                outcome.findings.append(Finding(
                    kind: kind, subject: "node/\(node)/volume/\(row.volume)/block/\(row.key.hex)",
                    severity: state == .trashOnly ? .critical : .error,
                    details: ["zone": config.zone, "node": "\(node)", "volume": "\(row.volume)", "key": row.key.hex]))
                outcome.repairs.insert(RepairNeed(volume: row.volume, node: node, reason: "metadata-scanner: \(kind) \(row.key.hex)"))
            }
        }
        if onlyNode == nil {
            // Volumes whose replica count is now right: their replica findings are resolved.
            for id in Set(live.map(\.volume)) where !flaggedVolumes.contains(id) && volumes[id] != nil {
                outcome.cleanPrefixes.append("volume/\(id)/replicas")
            }
        }
        return (outcome, unanswered)
    }

    /// Asks each node about its keys, all nodes at once; nil for a node that did not answer.
    private func askNodes(_ perNode: [Int: [BlockRow]]) async -> [Int: [Presence]?] {
        var addresses: [Int: NodeRecord] = [:]
        for id in perNode.keys { addresses[id] = await replicas.node(id) }
        let nodes = addresses
        return await withTaskGroup(of: (Int, [Presence]?).self) { group in
            for (id, rows) in perNode {
                group.addTask { [config] in
                    guard let node = nodes[id] else { return (id, nil) }
                    let client = NodeClient(address: node.address, token: config.nodeToken)
                    var answers: [Presence] = []
                    answers.reserveCapacity(rows.count)
                    do {
                        for start in stride(from: 0, to: rows.count, by: 100_000) {
                            let chunk = rows[start..<min(rows.count, start + 100_000)]
                            answers += try await client.check(chunk.map { (key: $0.key, volume: UInt64($0.volume)) })
                        }
                        return (id, answers)
                    } catch {
                        return (id, nil)
                    }
                }
            }
            var out: [Int: [Presence]?] = [:]
            for await (id, answer) in group { out[id] = answer }
            return out
        }
    }
}

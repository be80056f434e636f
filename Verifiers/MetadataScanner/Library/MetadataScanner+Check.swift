import VigilCore
import VigilNodeClient
import VigilPostgres
import VigilVerifier

/// What one node said about its part of a page.
enum NodeAnswer {
    case answered([Presence])
    /// Did not answer: its own condition, rechecked later, never "missing".
    case unreachable
    /// Refused our credential: a configuration fault, never "missing" or "unreachable".
    case unauthorized(String)
}

extension MetadataScanner {
    /// Checks rows against their volumes' live replicas; `onlyNode` limits the
    /// presence checks to one node (a recheck). Returns the step's outcome and
    /// the nodes that did not answer. Nothing is reported missing, only in trash,
    /// mismatched or without replicas before its row and replicas are re-read as
    /// they are now and the node asked again (GC, drain and repair move blocks
    /// under a pass).
    func check(_ rows: [BlockRow], onlyNode: Int?) async throws -> (outcome: StepOutcome, unanswered: [Int]) {
        var outcome = StepOutcome()
        guard let first = rows.first, let last = rows.last else { return (outcome, []) }
        let live = rows.filter { $0.state == .live }
        let volumes = try await replicas.lookup(Set(live.map(\.volume)))
        var perNode: [Int: [BlockRow]] = [:]
        var thinVolumes = Set<Int64>()
        var unknown: [BlockRow] = []
        for row in live {
            guard let volume = volumes[row.volume] else { unknown.append(row); continue }
            if onlyNode == nil, volume.liveNodes.count < volume.replication { thinVolumes.insert(row.volume) }
            for node in volume.liveNodes where onlyNode == nil || onlyNode == node {
                perNode[node, default: []].append(row)
            }
        }
        if onlyNode == nil { outcome.items = rows.count }
        let answers = try await askNodes(perNode)
        var unanswered: [Int] = []
        var suspects: [Int: [BlockRow]] = [:]
        for (node, answer) in answers {
            switch answer {
            case .unreachable:
                unanswered.append(node)
                outcome.unreachable.append("node/\(node)")
                outcome.findings.append(Finding(
                    kind: "node_unreachable", subject: "node/\(node)/unreachable", severity: .warning,
                    details: ["zone": config.zone, "node": "\(node)"]))
            case .unauthorized(let message):
                unanswered.append(node)
                noteRefusal(node: node, message: message)
                outcome.findings.append(Finding(
                    kind: "node_unauthorized", subject: "node/\(node)/unauthorized", severity: .error,
                    details: ["zone": config.zone, "node": "\(node)", "detail": message]))
            case .answered(let presence):
                noteRefusal(node: node, message: nil)
                outcome.cleanPrefixes += ["node/\(node)/unreachable", "node/\(node)/unauthorized"]
                outcome.cleanKeyRanges.append(CleanKeyRange(from: first.key.hex, to: last.key.hex, kinds: Self.blockKinds, match: ["node": "\(node)"]))
                for (row, state) in zip(perNode[node]!, presence) where state != .present {
                    suspects[node, default: []].append(row)
                }
            }
        }
        outcome.unhealthy = refusals()
        // Accuse only what is still wrong when looked at again.
        let confirmed = try await confirm(suspects: suspects, unknown: unknown, thinVolumes: thinVolumes)
        outcome.findings += findings(confirmed)
        if onlyNode == nil {
            outcome.cleanKeyRanges.append(CleanKeyRange(from: first.key.hex, to: last.key.hex, kinds: ["unknown_volume"]))
            if unanswered.isEmpty {
                outcome.cleanKeyRanges.append(CleanKeyRange(from: first.key.hex, to: last.key.hex, kinds: ["record_mismatch"]))
            }
            // Volumes whose replica count is right now: their replica findings are resolved.
            let flagged = Set(confirmed.thinVolumes.map(\.volume))
            for id in Set(live.map(\.volume)) where !flagged.contains(id) && volumes[id] != nil {
                outcome.cleanPrefixes.append("volume/\(id)/replicas")
            }
        }
        for (node, row, state) in confirmed.blocks where state != .mismatch {
            outcome.repairs.insert(RepairNeed(
                volume: row.volume, node: node, generation: confirmed.generations[row.volume]?[node], reason: "metadata-scanner: \(state == .trashOnly ? "only_in_trash" : "missing") \(row.key.hex)"))
        }
        return (outcome, unanswered)
    }

    /// Asks each node about its keys, all nodes at once, with the index's length
    /// and CRC of each so the node compares them with the record it holds.
    /// Throws `CancellationError` when the scan is cancelled (shutdown) under it:
    /// a cancelled question is no answer at all, never an unreachable node.
    func askNodes(_ perNode: [Int: [BlockRow]]) async throws -> [Int: NodeAnswer] {
        var addresses: [Int: NodeRecord] = [:]
        for id in perNode.keys { addresses[id] = await replicas.node(id) }
        let nodes = addresses
        let answers = await withTaskGroup(of: (Int, NodeAnswer?).self) { group in
            for (id, rows) in perNode {
                group.addTask { [config] in
                    guard let node = nodes[id] else { return (id, .unreachable) }
                    let client = NodeClient(address: node.address, token: config.nodeToken)
                    var answers: [Presence] = []
                    answers.reserveCapacity(rows.count)
                    do {
                        for start in stride(from: 0, to: rows.count, by: 100_000) {
                            let chunk = rows[start..<min(rows.count, start + 100_000)]
                            answers += try await client.check(records: chunk.map {
                                (key: $0.key, volume: UInt64(bitPattern: $0.volume), length: UInt32(bitPattern: $0.length), dataCRC: $0.checksum)
                            })
                        }
                        return (id, .answered(answers))
                    } catch let error as NodeClientError where error.isUnauthorized {
                        return (id, .unauthorized(error.description))
                    } catch is CancellationError {
                        return (id, nil)
                    } catch {
                        return (id, .unreachable)
                    }
                }
            }
            var out: [Int: NodeAnswer?] = [:]
            for await (id, answer) in group { out[id] = answer }
            return out
        }
        guard !Task.isCancelled, !answers.values.contains(where: { $0 == nil }) else { throw CancellationError() }
        return answers.compactMapValues { $0 }
    }
}

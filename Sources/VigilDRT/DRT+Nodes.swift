import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VigilCore
import VigilDev
import VigilNodeClient
import VigilPostgres
import VigilVerifier

/// Faults of a whole node or of the master's instructions to one.
extension DRT {
    /// A master bug: a recorded trash instruction for an extent that still holds
    /// live data. The inspector must keep it from being unlinked; DRT then puts it back.
    func trashLiveExtent(_ z: Int, seed: UInt64) async throws -> Injected {
        let zone = zones[z].zone
        let pick = try await freshReplica(z)
        let index = zones[z].index
        _ = try await index.recordInstruction(kind: "trash", node: pick.node.id, volume: pick.volume, generation: Int(pick.name.generation), reason: "drt: a master bug")
        let node = pick.node, name = pick.name, volume = pick.volume, token = cluster.tokens.admin
        var detection = scrubbed(z, node: node.id, volume: volume, name: name, kinds: [])
        detection.verifier = "trash-inspector"
        detection.kinds = [.trashInspectionFailed]
        detection.subject = "node/\(node.id)/trash/\(name)"
        return Injected(
            seed: seed, fault: .trashWithLiveBlocks, target: "\(zone.name) \(node.name) \(name) (trash instruction for live data)", detection: detection,
            undo: {
                // Withdraw the bad instruction if the master has not carried it out yet.
                let withdrawn = try await index.pool.withConnection { c in
                    try await c.query("DELETE FROM extent_instructions WHERE kind = 'trash' AND node_id = $1 AND volume_id = $2 AND executed_at IS NULL",
                                      [.int32(Int32(node.id)), .int64(volume)]).affectedRows
                }
                if withdrawn > 0 { return "DRT withdrew the trash instruction" }
                let deadline = ContinuousClock.now + .seconds(60)
                while !FileManager.default.fileExists(atPath: "\(node.dataDirectory)/trash/\(name)"), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(200))
                }
                let id = try await index.recordInstruction(kind: "restore", node: node.id, volume: volume, generation: Int(name.generation), reason: "drt: undo a bad trash instruction")
                do {
                    try await NodeClient(address: node.address, token: token).restore(name, instruction: id)
                } catch let error as NodeClientError where error.code == "generation_conflict" || error.code == "no_such_extent" {
                    // A repair already put a verified copy back into service on that node
                    // (and the trashed copy, then redundant, may have passed inspection and left).
                }
                try await index.markExecuted(id)
                try await index.setReplicaState(volume: volume, node: node.id, state: "live")
                return "DRT restored the extent from trash"
            })
    }

    /// Restarts a node with tokens no verifier holds; undone by restarting it with its own.
    /// At most one node of a zone is fenced at a time (two of four would leave
    /// too few writable replicas), and never one already fenced: its "own"
    /// arguments would be the wrong ones, and the undo would leave it fenced.
    func restartWithWrongTokens(_ z: Int, seed: UInt64) async throws -> Injected {
        let unfencedZone = ([z] + zones.indices.filter { $0 != z }).first { i in !fencedNodes.contains { $0.hasPrefix("\(zones[i].zone.name)/") } } ?? z
        let zone = zones[unfencedZone].zone
        let candidates = zone.nodes.filter { !excludedNodes.contains("\(zone.name)/\($0.id)") && !fencedNodes.contains("\(zone.name)/\($0.id)") }
        guard let node = candidates.randomElement(using: &rng), let p = cluster.processes.firstIndex(where: { $0.name == node.process }),
              let flag = cluster.processes[p].arguments.firstIndex(of: "--tokens-file") else {
            throw DevClusterError("no node process to restart in \(zone.name)")
        }
        let fenced = "\(zone.name)/\(node.id)"
        fencedNodes.insert(fenced)
        let wrong = "\(cluster.directory)/drt-wrong-node-tokens-\(zone.name)-\(node.id)"
        let secret = (0..<2).map { _ in (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined() }
        try "reader:\(secret[0])\nadmin:\(secret[1])\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        chmod(wrong, 0o600)
        let original = cluster.processes[p].arguments
        try await restartProcess(p, arguments: { $0[flag + 1] = wrong })
        return Injected(
            seed: seed, fault: .wrongCredential, target: "\(zone.name) \(node.name) restarted with tokens nobody holds",
            detection: Detection(zone: zone.name, verifier: "metadata-scanner", kinds: [.nodeUnauthorized], subject: "node/\(node.id)/unauthorized",
                                 explains: ["node/\(node.id)/%", "zone/\(zone.name)/node/\(node.id)/%"]),
            undo: { [unowned self] in
                try await restartProcess(p, arguments: { $0 = original })
                fencedNodes.remove(fenced)
                return "DRT restarted \(node.name) with its own tokens"
            })
    }

    /// Kills a process, restarts it with changed arguments, waits until it
    /// serves again, and records its new pid in the cluster file.
    func restartProcess(_ p: Int, arguments change: (inout [String]) -> Void) async throws {
        DevCluster.kill9(cluster.processes[p])
        change(&cluster.processes[p].arguments)
        try DevCluster.restart(&cluster.processes[p])
        if let clusterPath { try cluster.save(clusterPath) }
        guard let health = cluster.processes[p].health else { return }
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let url = URL(string: health), (try? await URLSession.shared.data(from: url)) != nil { return }
            try await Task.sleep(for: .milliseconds(200))
        }
    }
}

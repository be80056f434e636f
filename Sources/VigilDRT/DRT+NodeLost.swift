import Foundation
import VigilCore
import VigilDev
import VigilPostgres
import VigilVerifier

/// A whole node lost: killed and its data deleted. Repair is re-replication
/// after `vigil nodes retire N --dead`.
extension DRT {
    func injectNodeLost(seed: UInt64) async throws -> Injected {
        guard let z = zones.indices.first(where: { z in !zones[z].zone.nodes.contains { excludedNodes.contains("\(zones[z].zone.name)/\($0.id)") } }) ?? zones.indices.first,
              let node = zones[z].zone.nodes.last(where: { !excludedNodes.contains("\(zones[z].zone.name)/\($0.id)") }) else {
            throw DevClusterError("no node left to lose")
        }
        let zone = zones[z].zone
        excludedNodes.insert("\(zone.name)/\(node.id)")
        let held = try await zones[z].index.pool.withConnection { c in
            let rows = try await c.query("SELECT volume_id FROM volume_replicas WHERE node_id = $1 AND state = 'live'", [.int32(Int32(node.id))])
            return try (0..<rows.count).map { try rows.int64($0, 0) }
        }
        // A volume DRT destroyed on every replica has no verified copy to re-create.
        let volumes = held.filter { !destroyedVolumes.contains("\(zone.name)/\($0)") }
        if let p = cluster.processes.firstIndex(where: { $0.name == node.process }) { DevCluster.kill9(cluster.processes[p]) }
        try FileManager.default.removeItem(atPath: node.dataDirectory)
        let skipped = held.count - volumes.count
        var detection = Detection(zone: zone.name, verifier: "metadata-scanner", kinds: [.nodeUnreachable], subject: "node/\(node.id)/unreachable",
                                  explains: ["node/\(node.id)/%", "zone/\(zone.name)/node/\(node.id)/%"] + held.map { "volume/\($0)/replicas" })
        // Until they are back at R, trash holding their blocks must not be unlinked: the inspector says so.
        detection.explainsDetails = held.map { "live in volume \($0), which has %" }
        return Injected(
            seed: seed, fault: .nodeLost,
            target: "\(zone.name) \(node.name) killed, its data directory deleted (\(held.count) replicas\(skipped > 0 ? "; \(skipped) of them in volumes DRT destroyed on every replica, not expected back" : ""))",
            detection: detection,
            repair: .nodeRetired(zone: zone.name, node: node.id, volumes: volumes))
    }

    /// Runs `vigil nodes retire N --dead`; nil when it ran, else why it could not.
    func retireDeadNode(zone: String, node: Int) -> String? {
        let vigil = "\(Processes.executableDirectory)/vigil"
        guard let clusterPath else { return "DRT was not given the cluster file's path" }
        // `vigil nodes retire --help` would print the parent's help if `retire` did not exist: ask the parent.
        guard let help = try? Command.runStatus([vigil, "nodes", "--help"]), help.output.contains("retire") else {
            return "`vigil nodes retire N --dead` is not available in this build (re-replication is being built in Master+Rereplicate.swift)"
        }
        guard let result = try? Command.runStatus([vigil, "nodes", "retire", "\(node)", "--dead", "--cluster", clusterPath, "--zone", zone]), result.status == 0 else {
            return "`vigil nodes retire \(node) --dead` failed"
        }
        return nil
    }

    /// Volumes of the list still short of R live replicas off the lost node.
    func volumesShort(zone z: Int, node: Int, volumes: [Int64]) async throws -> Int {
        try await zones[z].index.pool.withConnection { c in
            try await c.query("""
                SELECT v.id FROM volumes v WHERE v.id = ANY(string_to_array($1, ',')::bigint[]) AND v.state <> 'retired'
                AND (SELECT count(*) FROM volume_replicas r WHERE r.volume_id = v.id AND r.state = 'live' AND r.node_id <> $2) < v.replication
                """, [.text(volumes.map(String.init).joined(separator: ",")), .int32(Int32(node))]).count
        }
    }
}

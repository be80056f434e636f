import Logging
import VigilNodeClient
import VigilPostgres

extension Master {
    /// Nodes whose copies a repair, a re-replication or a drain may read from:
    /// serving nodes. A dead, retired or unknown node is never a source.
    static let sourceNodeStates: Set<String> = ["up", "draining"]

    /// The replicas a copy of a volume may come from, for rebuilding the copy on
    /// `target` (nil: a new node): live, never on `target` (never the copy being
    /// replaced), on a serving node that answers a health probe now (bounded by
    /// the probe's own short timeout), in random order. Every replica left out
    /// is named in `skipped` with why, for the repair's error.
    func sources(among replicas: [ReplicaRecord], for target: Int?) async -> (usable: [ReplicaRecord], skipped: [String]) {
        var usable: [ReplicaRecord] = []
        var skipped: [String] = []
        for replica in replicas where replica.state == "live" && replica.node.id != target {
            guard Self.sourceNodeStates.contains(replica.node.state) else {
                skipped.append("\(replica.node.name): node is \(replica.node.state)")
                continue
            }
            guard await node(replica.node).isHealthy() else {
                skipped.append("\(replica.node.name): does not answer its health probe")
                continue
            }
            usable.append(replica)
        }
        return (usable.shuffled(), skipped)
    }

    /// Runs `work` for at most `limit`; past it the work is cancelled and a
    /// `RepairError` names `what`. One slow copy never holds up the round.
    func withinTimeLimit<T: Sendable>(_ limit: Duration, _ what: String, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await work() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw RepairError("\(what) took longer than \(limit.components.seconds) s; abandoned, retried next round")
            }
            return result
        }
    }
}

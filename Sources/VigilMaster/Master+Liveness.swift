import Logging
import VigilPostgres

extension Master {
    /// Probes every up node's `/healthz`; one unanswered for `deadAfter` (every
    /// probe of every round since it last answered) is declared dead.
    func declareUnansweredNodesDead(after deadAfter: Duration) async throws {
        let up = try await index.nodes().filter { $0.state == "up" }
        var answers: [(NodeRecord, Bool)] = []
        for node in up { answers.append((node, await self.node(node).isHealthy())) }
        let now = ContinuousClock.now
        let overdue = liveness.withLock { liveness -> [(NodeRecord, Duration)] in
            liveness.keep(only: Set(up.map(\.id)))
            return answers.compactMap { node, answered in
                liveness.observe(node: node.id, answered: answered, at: now).flatMap { $0 >= deadAfter ? (node, $0) : nil }
            }
        }
        for (node, down) in overdue {
            let seconds = Int(down.components.seconds)
            guard try await index.declareDead(node: node.id, reason: "unanswered for \(seconds) s (master --dead-after-seconds)") else { continue }
            logger.critical("node declared dead: re-replicating its volumes within the blast-radius cap", metadata: [
                "vigil.node": "\(node.name)", "vigil.unanswered_seconds": "\(seconds)",
            ])
        }
    }
}

/// How long each node has gone unanswered: a pure value the master feeds one
/// health probe per node per round, unit-testable without I/O. A node that
/// answers even once starts over, so a restart never adds up to "dead".
struct NodeLiveness: Sendable, Equatable {
    /// node id → when it first failed to answer since it last did.
    private(set) var unansweredSince: [Int: ContinuousClock.Instant] = [:]

    /// Records one probe; returns how long the node has been unanswered (nil when it answered).
    mutating func observe(node: Int, answered: Bool, at now: ContinuousClock.Instant) -> Duration? {
        guard !answered else {
            unansweredSince.removeValue(forKey: node)
            return nil
        }
        let since = unansweredSince[node] ?? now
        unansweredSince[node] = since
        return now - since
    }

    /// Forgets nodes no longer probed (declared dead, retired, removed).
    mutating func keep(only nodes: Set<Int>) {
        unansweredSince = unansweredSince.filter { nodes.contains($0.key) }
    }
}

import VigilLedger
import VigilPostgres

/// Which nodes hold each volume's live replicas, kept up to date incrementally:
/// read whole once, then, at most every `maxAge` (or when a volume it does not
/// know is asked for), only the volumes the index's change log
/// (`volume_changes`, Schemas/block-index 0007) names since the last read. It
/// reads whole again only when that log cannot answer: the database's
/// transaction ids went back (a restored database), the log was pruned past the
/// mark, a TRUNCATE, or a schema without the log (then every refresh is whole).
actor ReplicaMap {
    struct Volume: Equatable, Sendable {
        var replication: Int
        var liveNodes: [Int]
    }

    private let pool: PostgresPool
    private let maxAge: Duration
    private var volumes: [Int64: Volume] = [:]
    private(set) var nodes: [Int: NodeRecord] = [:]
    private var refreshedAt: ContinuousClock.Instant?
    /// The oldest transaction running at the last read: every change the map
    /// has not seen was made by this transaction or a later one. nil: read whole.
    private var mark: UInt64?
    /// Reads of the whole replica table, and of changes only (for tests and metrics).
    private(set) var wholeReads = 0
    private(set) var changeReads = 0

    init(pool: PostgresPool, maxAge: Duration) {
        self.pool = pool
        self.maxAge = maxAge
    }

    /// The volumes asked for that exist (a missing key means an unknown volume).
    func lookup(_ ids: Set<Int64>) async throws -> [Int64: Volume] {
        if refreshedAt.map({ ContinuousClock.now - $0 > maxAge }) ?? true || ids.contains(where: { volumes[$0] == nil }) {
            try await refresh()
        }
        return volumes.filter { ids.contains($0.key) }
    }

    func node(_ id: Int) -> NodeRecord? { nodes[id] }

    /// Brings the map up to date: the changed volumes only, when the log can say which.
    func refresh() async throws {
        let read = try await pool.withConnection { [mark] c -> Read in
            if let mark, let changes = try await ReplicaMapQueries.changes(c, since: mark), !changes.volumes.contains(-1) {
                let fresh = try await ReplicaMapQueries.volumes(c, ids: changes.volumes)
                return Read(whole: false, changed: changes.volumes, volumes: fresh, mark: changes.mark, nodes: try await ReplicaMapQueries.nodes(c))
            }
            let mark = try await ReplicaMapQueries.mark(c)
            let all = try await ReplicaMapQueries.volumes(c, ids: nil)
            return Read(whole: true, changed: [], volumes: all, mark: mark, nodes: try await ReplicaMapQueries.nodes(c))
        }
        if read.whole {
            volumes = read.volumes
            wholeReads += 1
        } else {
            for id in read.changed { volumes[id] = read.volumes[id] }
            changeReads += 1
        }
        mark = read.mark
        nodes = read.nodes
        refreshedAt = .now
    }

    private struct Read: Sendable {
        var whole: Bool
        var changed: Set<Int64>
        var volumes: [Int64: Volume]
        var mark: UInt64?
        var nodes: [Int: NodeRecord]
    }
}

import VigilPostgres

/// Which nodes hold each volume's live replicas, cached and refreshed.
actor ReplicaMap {
    struct Volume {
        var replication: Int
        var liveNodes: [Int]
    }

    private let pool: PostgresPool
    private let maxAge: Duration
    private var volumes: [Int64: Volume] = [:]
    private(set) var nodes: [Int: NodeRecord] = [:]
    private var loadedAt: ContinuousClock.Instant?

    init(pool: PostgresPool, maxAge: Duration) {
        self.pool = pool
        self.maxAge = maxAge
    }

    /// The volumes asked for that exist (a missing key means an unknown volume).
    func lookup(_ ids: Set<Int64>) async throws -> [Int64: Volume] {
        if loadedAt.map({ ContinuousClock.now - $0 > maxAge }) ?? true {
            try await reload()
        } else if ids.contains(where: { volumes[$0] == nil }) {
            try await reload()  // a volume created since the last load
        }
        return volumes.filter { ids.contains($0.key) }
    }

    func node(_ id: Int) -> NodeRecord? { nodes[id] }

    private func reload() async throws {
        let (volumes, nodes) = try await pool.withConnection { c -> ([Int64: Volume], [Int: NodeRecord]) in
            let rows = try await c.query("""
                SELECT v.id, v.replication, coalesce(array_to_string(array_agg(r.node_id ORDER BY r.node_id)
                    FILTER (WHERE r.state = 'live'), ','), '')
                FROM volumes v LEFT JOIN volume_replicas r ON r.volume_id = v.id GROUP BY v.id
                """)
            var volumes: [Int64: Volume] = [:]
            for i in 0..<rows.count {
                let live = rows.string(i, 2).split(separator: ",").compactMap { Int($0) }
                volumes[try rows.int64(i, 0)] = Volume(replication: try rows.int(i, 1), liveNodes: live)
            }
            let nodeRows = try await c.query("SELECT id, name, address, state FROM nodes")
            var nodes: [Int: NodeRecord] = [:]
            for i in 0..<nodeRows.count {
                let id = try nodeRows.int(i, 0)
                nodes[id] = NodeRecord(id: id, name: nodeRows.string(i, 1), address: nodeRows.string(i, 2), state: nodeRows.string(i, 3))
            }
            return (volumes, nodes)
        }
        self.volumes = volumes
        self.nodes = nodes
        loadedAt = .now
    }
}

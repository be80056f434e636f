import VigilPostgres

extension LedgerReader {
    /// How many findings match any of `filters` (their limits ignored), leaving
    /// out those an operator resolved by hand when `countingByHand` is false.
    /// The gate's verdict comes from this count over every finding, never from
    /// a list capped at its newest rows.
    public func findingCount(matchingAny filters: [FindingFilter], countingByHand: Bool = true) async throws -> Int {
        guard !filters.isEmpty else { return 0 }
        var conditions: [String] = [], parameters: [PostgresValue] = []
        for filter in filters {
            let (condition, values) = Self.condition(filter, firstParameter: parameters.count + 1)
            conditions.append("(\(condition))")
            parameters += values
        }
        let byHand = countingByHand ? "" : " AND NOT starts_with(coalesce(resolution, ''), $\(parameters.count + 1))"
        if !countingByHand { parameters.append(.text(Self.byHandMarker)) }
        return try await connection.query(
            "SELECT count(*)::int8 FROM findings WHERE (\(conditions.joined(separator: " OR ")))\(byHand)", parameters).int(0, 0)
    }

    /// The SQL condition a finding meets to match `filter`, numbering its
    /// parameters from `$firstParameter` (five of them), and their values.
    static func condition(_ filter: FindingFilter, firstParameter n: Int) -> (String, [PostgresValue]) {
        let (window, seconds): (String, Double) = switch filter.window {
        case .open: ("resolved_at IS NULL", 0)
        case .openOrSeenWithin(let s): ("(resolved_at IS NULL OR last_seen >= now() - make_interval(secs => $\(n)))", s)
        case .seenWithin(let s): ("last_seen >= now() - make_interval(secs => $\(n))", s)
        case .all: ("true", 0)
        }
        let condition = """
            \(window) AND ($\(n + 1)::text[] IS NULL OR verifier = ANY($\(n + 1))) AND ($\(n + 2)::text[] IS NULL OR kind = ANY($\(n + 2)))
              AND ($\(n + 3)::text[] IS NULL OR severity = ANY($\(n + 3))) AND ($\(n + 4)::text IS NULL OR scope = $\(n + 4))
            """
        return (condition, [.float64(seconds), array(filter.verifiers?.map(\.rawValue)), array(filter.kinds?.map(\.rawValue)),
                            array(filter.severities?.map(\.rawValue)), filter.scope.map { .text($0.rawValue) } ?? .null])
    }
}

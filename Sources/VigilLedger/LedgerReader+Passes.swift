import VigilPostgres

extension LedgerReader {
    /// The latest complete pass of `verifier` over `scope` that started within
    /// the last `startedWithinSeconds` (nil: ever).
    public func lastCompletePass(_ verifier: VerifierID, scope: LedgerScope, startedWithinSeconds: Double? = nil) async throws -> LedgerPass? {
        let rows = try await connection.query("""
            SELECT \(Self.passColumns) FROM passes
            WHERE verifier = $1 AND scope = $2 AND state = 'complete'
              AND ($3::float8 IS NULL OR started_at >= now() - make_interval(secs => $3))
            ORDER BY started_at DESC LIMIT 1
            """, [.text(verifier.rawValue), .text(scope.rawValue), startedWithinSeconds.map { .float64($0) } ?? .null])
        return rows.count == 1 ? try Self.pass(rows, 0) : nil
    }

    /// What the complete passes of `verifier` over `scope` that started within
    /// the last `startedWithinSeconds` did together; nil when there was none.
    public func completePasses(_ verifier: VerifierID, scope: LedgerScope, startedWithinSeconds: Double) async throws -> LedgerPassTotals? {
        let rows = try await connection.query("""
            SELECT count(*)::int8, coalesce(sum(items_checked), 0)::int8, extract(epoch FROM min(started_at))::float8,
                   extract(epoch FROM max(finished_at))::float8
            FROM passes WHERE verifier = $1 AND scope = $2 AND state = 'complete' AND finished_at IS NOT NULL
              AND started_at >= now() - make_interval(secs => $3)
            """, [.text(verifier.rawValue), .text(scope.rawValue), .float64(startedWithinSeconds)])
        guard try rows.int(0, 0) > 0 else { return nil }
        return LedgerPassTotals(passes: try rows.int(0, 0), itemsChecked: try rows.int64(0, 1),
                                firstStartedAt: try rows.float64(0, 2), lastFinishedAt: try rows.float64(0, 3))
    }

    /// The running pass of `verifier` over `scope`, if one is.
    public func runningPass(_ verifier: VerifierID, scope: LedgerScope) async throws -> LedgerPass? {
        let rows = try await connection.query("""
            SELECT \(Self.passColumns) FROM passes WHERE verifier = $1 AND scope = $2 AND state = 'running'
            ORDER BY started_at DESC LIMIT 1
            """, [.text(verifier.rawValue), .text(scope.rawValue)])
        return rows.count == 1 ? try Self.pass(rows, 0) : nil
    }

    /// Every (verifier, scope) with a pass: complete passes and the last's finish.
    public func passSummaries() async throws -> [LedgerPassSummary] {
        let rows = try await connection.query("""
            SELECT verifier, scope, count(*) FILTER (WHERE state = 'complete'),
                   extract(epoch FROM max(finished_at) FILTER (WHERE state = 'complete'))::float8
            FROM passes GROUP BY verifier, scope ORDER BY verifier, scope
            """)
        return try (0..<rows.count).map { i in
            LedgerPassSummary(
                verifier: VerifierID(rawValue: rows.string(i, 0)), scope: LedgerScope(rawValue: rows.string(i, 1)),
                completePasses: try rows.int(i, 2), lastCompleteFinishedAt: rows.isNull(i, 3) ? nil : try rows.float64(i, 3))
        }
    }

    /// Repair requests by state (absent states: none), e.g. the backlog is
    /// `pending` + `running`.
    public func repairCounts() async throws -> [RepairState: Int] {
        let rows = try await connection.query("SELECT state, count(*) FROM repair_queue GROUP BY state")
        var out: [RepairState: Int] = [:]
        for i in 0..<rows.count { out[RepairState(rawValue: rows.string(i, 0))] = try rows.int(i, 1) }
        return out
    }

    /// Outstanding repair requests (pending or running).
    public func repairBacklog() async throws -> Int {
        try await repairCounts().filter { RepairState.outstanding.contains($0.key) }.values.reduce(0, +)
    }

    static let passColumns = """
        id, verifier, scope, state, items_checked, bytes_checked, extract(epoch FROM started_at)::float8,
        extract(epoch FROM finished_at)::float8
        """

    static func pass(_ rows: PostgresRows, _ i: Int) throws -> LedgerPass {
        LedgerPass(
            id: try rows.int64(i, 0), verifier: VerifierID(rawValue: rows.string(i, 1)), scope: LedgerScope(rawValue: rows.string(i, 2)),
            status: PassStatus(rawValue: rows.string(i, 3)), itemsChecked: try rows.int64(i, 4), bytesChecked: try rows.int64(i, 5),
            startedAt: try rows.float64(i, 6), finishedAt: rows.isNull(i, 7) ? nil : try rows.float64(i, 7))
    }
}

/// Complete passes of one (verifier, scope) taken together.
public struct LedgerPassTotals: Sendable, Equatable {
    public var passes: Int
    public var itemsChecked: Int64
    /// Seconds since the Unix epoch: the first one's start, the last one's finish.
    public var firstStartedAt: Double
    public var lastFinishedAt: Double
}

import VigilPostgres

/// How often one (verifier, scope) completed passes.
public struct LedgerPassCadence: Sendable, Equatable {
    public var verifier: VerifierID
    public var scope: LedgerScope
    public var completePasses: Int
    /// Mean time between complete passes' ends; with one pass, its duration.
    public var secondsBetweenPasses: Double
}

extension LedgerReader {
    /// Per (verifier, scope) with a complete pass, except `excluding`: how often passes complete.
    public func passCadences(excluding: [VerifierID] = []) async throws -> [LedgerPassCadence] {
        let rows = try await connection.query("""
            SELECT verifier, scope, count(*)::int8,
                   (CASE WHEN count(*) > 1 THEN extract(epoch FROM max(finished_at) - min(finished_at)) / (count(*) - 1)
                         ELSE extract(epoch FROM max(finished_at - started_at)) END)::float8
            FROM passes WHERE state = 'complete' AND finished_at IS NOT NULL AND NOT (verifier = ANY($1))
            GROUP BY 1, 2 ORDER BY 1, 2
            """, [.textArray(excluding.map(\.rawValue))])
        return try (0..<rows.count).map { i in
            LedgerPassCadence(verifier: VerifierID(rawValue: rows.string(i, 0)), scope: LedgerScope(rawValue: rows.string(i, 1)),
                              completePasses: try rows.int(i, 2), secondsBetweenPasses: try rows.float64(i, 3))
        }
    }

    /// Repairs done, and their mean time from request to done.
    public func completedRepairs() async throws -> (count: Int, meanSeconds: Double?) {
        let rows = try await connection.query(
            "SELECT count(*)::int8, avg(extract(epoch FROM updated_at - created_at))::float8 FROM repair_queue WHERE state = $1",
            [.text(RepairState.done.rawValue)])
        return (try rows.int(0, 0), rows.isNull(0, 1) ? nil : try rows.float64(0, 1))
    }

    /// Items checked over every pass of `verifier` in `scope`.
    public func itemsChecked(_ verifier: VerifierID, scope: LedgerScope) async throws -> Int {
        try await connection.query(
            "SELECT coalesce(sum(items_checked), 0)::int8 FROM passes WHERE verifier = $1 AND scope = $2",
            [.text(verifier.rawValue), .text(scope.rawValue)]).int(0, 0)
    }

    /// Findings of `verifier` (open or resolved) whose subject starts with `subjectPrefix`, taken literally.
    public func findingCount(_ verifier: VerifierID, subjectPrefix: String) async throws -> Int {
        try await connection.query(
            "SELECT count(*) FROM findings WHERE verifier = $1 AND starts_with(subject, $2)",
            [.text(verifier.rawValue), .text(subjectPrefix)]).int(0, 0)
    }
}

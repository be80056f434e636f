import VigilPostgres

/// The one way to read the ledger (findings, passes, repair requests) of a zone
/// or of the File Journal: the gate, `vigil findings`, `vigil status` and tests
/// use it instead of their own SQL. Its one write is the operator's by-hand
/// resolution, which only `vigil_operator` may make.
public struct LedgerReader: Sendable {
    /// How a finding resolved by an operator (`vigil findings resolve`) starts.
    /// The gate lets such findings through, so only the `vigil_operator` role may
    /// write it; a verifier resolves with what it observed ("observed clean", …).
    public static let byHandMarker = "by hand:"

    public let connection: PostgresConnection

    public init(_ connection: PostgresConnection) { self.connection = connection }

    /// The database's clock, in seconds since the Unix epoch (windows and
    /// overdue checks compare against it, never the reader's clock).
    public func now() async throws -> Double {
        try await connection.query("SELECT extract(epoch FROM clock_timestamp())::float8").float64(0, 0)
    }

    /// Findings matching `filter`, newest first.
    public func findings(_ filter: FindingFilter = FindingFilter()) async throws -> [LedgerFinding] {
        let (condition, parameters) = Self.condition(filter, firstParameter: 1)
        let rows = try await connection.query("""
            SELECT \(Self.findingColumns) FROM findings WHERE \(condition)
            ORDER BY id DESC LIMIT $6
            """, parameters + [.int64(Int64(max(0, filter.limit)))])
        return try (0..<rows.count).map { try Self.finding(rows, $0) }
    }

    /// One finding by id; nil when this database has none with it.
    public func finding(id: Int64) async throws -> LedgerFinding? {
        let rows = try await connection.query("SELECT \(Self.findingColumns) FROM findings WHERE id = $1", [.int64(id)])
        return rows.count == 1 ? try Self.finding(rows, 0) : nil
    }

    /// Open findings counted by (verifier, scope, severity).
    public func openFindingCounts() async throws -> [OpenFindingCount] {
        let rows = try await connection.query(
            "SELECT verifier, scope, severity, count(*) FROM findings WHERE resolved_at IS NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
        return try (0..<rows.count).map { i in
            OpenFindingCount(verifier: VerifierID(rawValue: rows.string(i, 0)), scope: LedgerScope(rawValue: rows.string(i, 1)),
                             severity: Finding.Severity(stored: rows.string(i, 2)), count: try rows.int(i, 3))
        }
    }

    /// Marks an open finding resolved by an operator, with why; false when no
    /// open finding has this id. Takes the `vigil_operator` role.
    public func resolveByHand(id: Int64, note: String) async throws -> Bool {
        try await connection.query(
            "UPDATE findings SET resolved_at = now(), resolution = $2 WHERE id = $1 AND resolved_at IS NULL",
            [.int64(id), .text("\(Self.byHandMarker) \(note)")]).affectedRows == 1
    }

    static let findingColumns = """
        id, verifier, kind, subject, severity, scope, details::text, extract(epoch FROM first_seen)::float8,
        extract(epoch FROM last_seen)::float8, extract(epoch FROM resolved_at)::float8, resolution
        """

    static func finding(_ rows: PostgresRows, _ i: Int) throws -> LedgerFinding {
        LedgerFinding(
            id: try rows.int64(i, 0), verifier: VerifierID(rawValue: rows.string(i, 1)), kind: FindingKind(rawValue: rows.string(i, 2)),
            subject: rows.string(i, 3), severity: Finding.Severity(stored: rows.string(i, 4)), scope: LedgerScope(rawValue: rows.string(i, 5)),
            detailsJSON: rows.string(i, 6), firstSeen: try rows.float64(i, 7), lastSeen: try rows.float64(i, 8),
            resolvedAt: rows.isNull(i, 9) ? nil : try rows.float64(i, 9), resolution: rows.optionalString(i, 10))
    }

    static func array(_ values: [String]?) -> PostgresValue { values.map { .textArray($0) } ?? .null }
}

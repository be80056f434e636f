import VigilPostgres

/// How long ago, at most, one (verifier, scope) last verified the oldest part
/// of its domain (a key range, an extent, a node's directories, a stage's stream).
///
/// A pass visits every part of the domain once, between its start and its end.
/// While the next pass runs, the parts it has not reached yet were last verified
/// by the last complete pass, no earlier than that pass's start; the parts it
/// has reached, and anything created since, are younger. So the start of the
/// last complete pass is a true bound for every part, whatever the running pass
/// has done: the oldest verification is at most `now − verifiedSince`. A scope
/// that never completed a pass has no such bound (`verifiedSince` nil): nothing
/// says any of its domain was ever verified.
public struct VerificationAge: Sendable, Equatable {
    public var verifier: VerifierID
    public var scope: LedgerScope
    /// The start of the last complete pass, seconds since the Unix epoch (the
    /// database's clock); nil when no pass of this scope ever completed.
    public var verifiedSince: Double?
    /// The database's clock when the age was read.
    public var now: Double

    /// Seconds since the oldest part of the domain was verified, at most; nil: never verified.
    public var oldestSeconds: Double? { verifiedSince.map { max(0, now - $0) } }

    public init(verifier: VerifierID, scope: LedgerScope, verifiedSince: Double?, now: Double) {
        self.verifier = verifier
        self.scope = scope
        self.verifiedSince = verifiedSince
        self.now = now
    }
}

extension LedgerReader {
    /// The verification age of `verifier` over `scope` (one that never ran has none).
    public func verificationAge(_ verifier: VerifierID, scope: LedgerScope) async throws -> VerificationAge {
        let rows = try await connection.query("""
            SELECT extract(epoch FROM max(started_at) FILTER (WHERE state = 'complete'))::float8,
                   extract(epoch FROM clock_timestamp())::float8
            FROM passes WHERE verifier = $1 AND scope = $2
            """, [.text(verifier.rawValue), .text(scope.rawValue)])
        return VerificationAge(verifier: verifier, scope: scope, verifiedSince: rows.isNull(0, 0) ? nil : try rows.float64(0, 0),
                               now: try rows.float64(0, 1))
    }

    /// The verification age of every (verifier, scope) with a pass in this ledger, running or complete.
    public func verificationAges() async throws -> [VerificationAge] {
        let rows = try await connection.query("""
            SELECT verifier, scope, extract(epoch FROM max(started_at) FILTER (WHERE state = 'complete'))::float8,
                   extract(epoch FROM clock_timestamp())::float8
            FROM passes GROUP BY verifier, scope ORDER BY verifier, scope
            """)
        return try (0..<rows.count).map { i in
            VerificationAge(verifier: VerifierID(rawValue: rows.string(i, 0)), scope: LedgerScope(rawValue: rows.string(i, 1)),
                            verifiedSince: rows.isNull(i, 2) ? nil : try rows.float64(i, 2), now: try rows.float64(i, 3))
        }
    }
}

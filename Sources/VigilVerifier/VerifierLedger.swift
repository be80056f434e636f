import Foundation
// Finding, FindingKind and the ledger's vocabulary live in VigilLedger; verifiers see them through this module.
@_exported import VigilLedger
import VigilPostgres

/// A pass being worked on: where it is, what it has done.
public struct PassState: Sendable, Equatable {
    public var id: Int64
    public var cursor: [UInt8]?
    public var itemsChecked: Int64
    public var bytesChecked: Int64
    public var resumed: Bool
}

/// The verifier runtime's records in the ledger (a zone's or the journal's): the pass ledger, cursors,
/// findings and repair requests. Verifiers write nothing else, and only under
/// their own verifier id (row-level security, `Schemas/ledger/0001_ledger.sql`). `LedgerReader` reads them.
public struct VerifierLedger: Sendable {
    public let pool: PostgresPool
    public let verifier: String
    public let scope: String

    public init(pool: PostgresPool, verifier: String, scope: String) {
        self.pool = pool
        self.verifier = verifier
        self.scope = scope
    }

    /// The running pass of this verifier and scope, from its cursor; or a new one.
    public func startOrResumePass() async throws -> PassState {
        let pass = try await pool.withConnection { [verifier, scope] c in
            try await c.transaction { tx in
                let rows = try await tx.query("""
                    SELECT p.id, c.position, p.items_checked, p.bytes_checked FROM cursors c JOIN passes p ON p.id = c.pass_id
                    WHERE c.verifier = $1 AND c.scope = $2 AND p.state = 'running'
                    """, [.text(verifier), .text(scope)])
                if rows.count == 1 {
                    let position = rows.bytes(0, 1)
                    return PassState(
                        id: try rows.int64(0, 0), cursor: position.isEmpty ? nil : position,
                        itemsChecked: try rows.int64(0, 2), bytesChecked: try rows.int64(0, 3), resumed: true)
                }
                try await tx.query(
                    "UPDATE passes SET state = 'abandoned' WHERE verifier = $1 AND scope = $2 AND state = 'running'",
                    [.text(verifier), .text(scope)])
                let id = try await tx.query(
                    "INSERT INTO passes (verifier, scope) VALUES ($1, $2) RETURNING id", [.text(verifier), .text(scope)]).int64(0, 0)
                try await tx.query("""
                    INSERT INTO cursors (verifier, scope, pass_id, position) VALUES ($1, $2, $3, '\\x'::bytea)
                    ON CONFLICT (verifier, scope) DO UPDATE SET pass_id = EXCLUDED.pass_id, position = EXCLUDED.position, updated_at = now()
                    """, [.text(verifier), .text(scope), .int64(id)])
                return PassState(id: id, cursor: nil, itemsChecked: 0, bytesChecked: 0, resumed: false)
            }
        }
        await recordVerificationAge()
        return pass
    }

    /// Persists the cursor and the pass's counts together.
    public func save(_ pass: PassState) async throws {
        try await pool.withConnection { [verifier, scope] c in
            try await c.transaction { tx in
                try await tx.query(
                    "UPDATE cursors SET position = $3, updated_at = now() WHERE verifier = $1 AND scope = $2",
                    [.text(verifier), .text(scope), .bytea(pass.cursor ?? [])])
                try await tx.query(
                    "UPDATE passes SET items_checked = $2, bytes_checked = $3 WHERE id = $1",
                    [.int64(pass.id), .int64(pass.itemsChecked), .int64(pass.bytesChecked)])
            }
        }
    }

    /// Marks the pass complete with its counts and the findings it saw.
    public func complete(_ pass: PassState) async throws {
        try await pool.withConnection { [verifier, scope] c in
            try await c.transaction { tx in
                try await tx.query("""
                    UPDATE passes SET state = 'complete', finished_at = now(), items_checked = $2, bytes_checked = $3,
                        findings = (SELECT count(*) FROM findings WHERE verifier = $4 AND scope = $5
                                    AND last_seen >= (SELECT started_at FROM passes WHERE id = $1))
                    WHERE id = $1
                    """, [.int64(pass.id), .int64(pass.itemsChecked), .int64(pass.bytesChecked), .text(verifier), .text(scope)])
                try await tx.query("DELETE FROM cursors WHERE verifier = $1 AND scope = $2", [.text(verifier), .text(scope)])
            }
        }
        await recordVerificationAge()
    }

    /// Records findings; returns how many were new (not already open).
    @discardableResult
    public func report(_ findings: [Finding]) async throws -> Int {
        try await recordFindings(findings).count
    }

    /// Records findings in one statement (one round trip however many a step
    /// saw); returns those that were new (not already open). A condition seen
    /// twice in the batch is one finding: the later observation's details win.
    public func recordFindings(_ findings: [Finding]) async throws -> [Finding] {
        var latest: [String: Finding] = [:]
        for finding in findings { latest["\(finding.kind)\u{0}\(finding.subject)"] = finding }
        let batch = Array(latest.values)
        guard !batch.isEmpty else { return [] }
        let details = try batch.map { String(decoding: try JSONSerialization.data(withJSONObject: $0.details, options: [.sortedKeys]), as: UTF8.self) }
        let rows = try await pool.withConnection { [verifier, scope] c in
            try await c.query("""
                INSERT INTO findings (verifier, kind, subject, severity, scope, details)
                SELECT $1, f.kind, f.subject, f.severity, $2, f.details::jsonb
                FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) AS f(kind, subject, severity, details)
                ON CONFLICT (verifier, kind, subject) WHERE resolved_at IS NULL
                DO UPDATE SET last_seen = now(), details = EXCLUDED.details
                RETURNING kind, subject, (xmax = 0)
                """, [.text(verifier), .text(scope), .textArray(batch.map(\.kind)), .textArray(batch.map(\.subject)),
                      .textArray(batch.map(\.severity.rawValue)), .textArray(details)])
        }
        var new: [Finding] = []
        for row in 0..<rows.count where try rows.bool(row, 2) {
            if let finding = latest["\(try rows.string(row, 0))\u{0}\(try rows.string(row, 1))"] { new.append(finding) }
        }
        return new
    }

    /// Resolves this verifier's open findings under `subjectPrefix`; returns how many.
    @discardableResult
    public func resolve(subjectPrefix: String, resolution: String) async throws -> Int {
        try await resolve(subjectPrefixes: [subjectPrefix], resolution: resolution)
    }

    /// Resolves this verifier's open findings under any of `subjectPrefixes`, in one statement.
    @discardableResult
    public func resolve(subjectPrefixes: [String], resolution: String) async throws -> Int {
        guard !subjectPrefixes.isEmpty else { return 0 }
        return try await pool.withConnection { [verifier] c in
            try await c.query("""
                UPDATE findings SET resolved_at = now(), resolution = $3
                WHERE verifier = $1 AND resolved_at IS NULL
                  AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS prefix WHERE starts_with(subject, prefix))
                """, [.text(verifier), .textArray(subjectPrefixes), .text(resolution)]).affectedRows
        }
    }

    public func requestRepairs(_ needs: Set<RepairNeed>) async throws {
        let index = BlockIndex(pool: pool)
        for need in needs {
            try await index.requestRepair(volume: need.volume, node: need.node, generation: need.generation, reason: need.reason, requestedBy: verifier)
        }
    }
}

extension VerifierLedger {
    /// Records what a step found: new findings, resolutions, repair requests.
    /// Returns (the findings that were new, how many were resolved).
    @discardableResult
    public func apply(_ outcome: StepOutcome) async throws -> (new: [Finding], resolved: Int) {
        let new = try await recordFindings(outcome.findings)
        var resolved = try await resolve(subjectPrefixes: outcome.cleanPrefixes, resolution: "observed clean")
        if !outcome.cleanKeyRanges.isEmpty {
            // Every range in one statement: one round trip a step, however many nodes answered.
            let ranges = String(decoding: try JSONSerialization.data(withJSONObject: outcome.cleanKeyRanges.map {
                ["kinds": $0.kinds, "from": $0.from, "to": $0.to, "match": $0.match] as [String: Any]
            }), as: UTF8.self)
            let reported = outcome.findings.map(\.subject)
            resolved += try await pool.withConnection { [verifier, scope] c in
                try await c.query("""
                    UPDATE findings f SET resolved_at = now(), resolution = 'observed clean'
                    FROM jsonb_to_recordset($3::jsonb) AS r(kinds text[], "from" text, "to" text, match jsonb)
                    WHERE f.verifier = $1 AND f.scope = $2 AND f.resolved_at IS NULL
                      AND f.kind = ANY(r.kinds) AND f.details->>'key' BETWEEN r."from" AND r."to" AND f.details @> r.match
                      AND NOT (f.subject = ANY($4))
                    """, [.text(verifier), .text(scope), .text(ranges), .textArray(reported)]).affectedRows
            }
        }
        if !outcome.observedSubjects.isEmpty {
            let reported = outcome.findings
            resolved += try await pool.withConnection { [verifier] c in
                try await c.query("""
                    UPDATE findings SET resolved_at = now(), resolution = 'observed clean'
                    WHERE verifier = $1 AND resolved_at IS NULL
                      AND subject = ANY($2)
                      AND NOT EXISTS (SELECT 1 FROM unnest($3::text[], $4::text[]) AS r(subject, kind)
                                      WHERE r.subject = findings.subject AND r.kind = findings.kind)
                    """, [.text(verifier), .textArray(outcome.observedSubjects), .textArray(reported.map(\.subject)), .textArray(reported.map(\.kind))]).affectedRows
            }
        }
        try await requestRepairs(outcome.repairs)
        return (new, resolved)
    }
}

extension VerifierLedger {
    /// A ledger on its own small pool, for verifiers that use no other database access.
    public init(databaseURL: String, verifier: String, scope: String) {
        self.init(pool: PostgresPool(url: databaseURL, size: 2), verifier: verifier, scope: scope)
    }
}

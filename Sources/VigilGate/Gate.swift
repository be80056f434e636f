import Foundation
import VigilPostgres

/// One thing the gate checked.
public struct GateCheck: Sendable, Codable, Equatable {
    /// The JUnit test case's class: the verifier, or `findings`.
    public var verifier: String
    /// The scope (zone, shard, node, stage), or what the check covers.
    public var scope: String
    public var passed: Bool
    public var detail: String
}

/// The staging sign-off verdict for a window.
public struct GateVerdict: Sendable, Codable {
    public var signOff: Bool
    public var window: String
    public var checks: [GateCheck]
    public var reasons: [String] { checks.filter { !$0.passed }.map { "\($0.verifier) \($0.scope): \($0.detail)" } }
}

/// The database a gate reads, and the verifier scopes it expects there.
public struct GateSource: Sendable {
    public var name: String
    public var databaseURL: String
    /// (verifier, scope) pairs that must have a full pass; the scopes found in
    /// the pass ledger are added to these.
    public var expected: [(verifier: String, scope: String)]

    public init(name: String, databaseURL: String, expected: [(verifier: String, scope: String)] = []) {
        self.name = name
        self.databaseURL = databaseURL
        self.expected = expected
    }
}

/// Why the gate cannot decide (exit 2).
public struct GateError: Error, CustomStringConvertible {
    public var description: String
}

/// Evaluates the sign-off rules over the pass ledger and the findings.
public enum Gate {
    public static func evaluate(_ sources: [GateSource], windowSeconds: Double, windowLabel: String) async throws -> GateVerdict {
        var checks: [GateCheck] = []
        for source in sources {
            let c: PostgresConnection
            do {
                c = try await PostgresConnection.connect(url: source.databaseURL)
            } catch {
                throw GateError(description: "cannot reach \(source.name)'s database: \(error)")
            }
            checks += try await passChecks(c, source, windowSeconds)
            checks += try await findingChecks(c, source, windowSeconds)
        }
        return GateVerdict(signOff: checks.allSatisfy(\.passed), window: windowLabel, checks: checks)
    }

    /// Every verifier in each of its scopes completed a full pass that started inside the window.
    static func passChecks(_ c: PostgresConnection, _ source: GateSource, _ window: Double) async throws -> [GateCheck] {
        let rows = try await c.query("""
            SELECT verifier, scope,
                   max(started_at) FILTER (WHERE state = 'complete' AND started_at >= now() - make_interval(secs => $1)) IS NOT NULL,
                   coalesce(to_char(max(finished_at) FILTER (WHERE state = 'complete'), 'YYYY-MM-DD HH24:MI:SS'), 'never')
            FROM passes GROUP BY verifier, scope
            """, [.float64(window)])
        var seen: [String: GateCheck] = [:]
        for (verifier, scope) in source.expected {
            seen["\(verifier)|\(scope)"] = GateCheck(verifier: verifier, scope: scope, passed: false, detail: "no pass recorded")
        }
        for i in 0..<rows.count {
            let verifier = rows.string(i, 0), scope = rows.string(i, 1)
            let ok = try rows.bool(i, 2)
            seen["\(verifier)|\(scope)"] = GateCheck(
                verifier: verifier, scope: scope, passed: ok,
                detail: ok ? "full pass inside the window" : "no full pass started inside the window (last finished \(rows.string(i, 3)))")
        }
        return seen.values.sorted { ($0.verifier, $0.scope) < ($1.verifier, $1.scope) }
    }

    /// No unresolved error or critical finding, and none seen inside the window
    /// even if repaired since (a fault in staging blocks its release); no watcher
    /// failure and no referee finding inside the window. Findings an operator
    /// resolved by hand (`vigil findings resolve`) no longer block.
    static func findingChecks(_ c: PostgresConnection, _ source: GateSource, _ window: Double) async throws -> [GateCheck] {
        let rows = try await c.query("""
            SELECT id, verifier, kind, subject, severity, resolved_at IS NOT NULL FROM findings
            WHERE coalesce(resolution, '') NOT LIKE 'by hand:%' AND (
                  (severity IN ('error', 'critical') AND (resolved_at IS NULL OR last_seen >= now() - make_interval(secs => $1)))
               OR (verifier IN ('storage-watcher', 'extent-referee') AND last_seen >= now() - make_interval(secs => $1)))
            ORDER BY id LIMIT 1000
            """, [.float64(window)])
        guard rows.count > 0 else {
            return [GateCheck(verifier: "findings", scope: source.name, passed: true, detail: "no error or critical finding in the window, none open")]
        }
        return try (0..<rows.count).map { i in
            GateCheck(
                verifier: rows.string(i, 1), scope: source.name, passed: false,
                detail: "finding \(try rows.int64(i, 0)) \(rows.string(i, 2)) (\(rows.string(i, 4))\(try rows.bool(i, 5) ? ", since resolved" : "")) on \(rows.string(i, 3))")
        }
    }

    /// Parses `7d`, `12h`, `30m`, `90s`.
    public static func parseWindow(_ text: String) -> Double? {
        guard let unit = text.last, let n = Double(text.dropLast()), n > 0 else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        case "d": return n * 86_400
        default: return nil
        }
    }
}

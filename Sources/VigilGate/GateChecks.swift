import VigilPostgres

/// One (verifier, scope) that must have completed a pass, and — when it has
/// something to check — what "something" is: a SQL condition, true when items
/// existed before the pass started (`p.started_at`), so a pass that checked
/// nothing while they did blocks.
struct GateExpectation: Sendable {
    var verifier: String
    var scope: String
    /// The scopes whose complete passes together cover this one (a sharded scanner).
    var coveredBy: [String]
    var itemsExisted: String?
}

enum GateExpectations {
    /// Items older than a minute at a pass's start: younger ones may not have reached its domain yet.
    private static let before = "p.started_at - interval '1 minute'"

    static func zone(_ t: ZoneTopology, liveNodes: [Int]) -> [GateExpectation] {
        var out: [GateExpectation] = []
        for node in liveNodes {
            let scope = "\(t.zone)/node-\(node)"
            out.append(GateExpectation(
                verifier: "disk-scrubber", scope: scope, coveredBy: [scope],
                itemsExisted: """
                    EXISTS (SELECT 1 FROM volume_replicas r JOIN volumes v ON v.id = r.volume_id
                            WHERE r.node_id = \(node) AND r.state = 'live' AND v.created_at < \(before))
                    """))
            out.append(GateExpectation(verifier: "extent-referee", scope: scope, coveredBy: [scope]))
        }
        let shards = t.scannerShards == 1 ? [t.zone] : (1...t.scannerShards).map { "\(t.zone)/shard-\($0)-of-\(t.scannerShards)" }
        out.append(GateExpectation(
            verifier: "metadata-scanner", scope: t.zone, coveredBy: shards,
            itemsExisted: t.scannerShards == 1 ? "EXISTS (SELECT 1 FROM blocks WHERE state = 0 AND created_at < \(before))" : nil))
        out.append(GateExpectation(verifier: "trash-inspector", scope: t.zone, coveredBy: [t.zone]))
        for stage in t.watcherStages {
            out.append(GateExpectation(verifier: "storage-watcher", scope: "\(t.zone)/\(stage)", coveredBy: ["\(t.zone)/\(stage)"]))
        }
        return out
    }

    static let crossZone = GateExpectation(
        verifier: "cross-zone-verifier", scope: "global", coveredBy: ["global"],
        itemsExisted: "EXISTS (SELECT 1 FROM files WHERE created_at < \(before))")
}

extension Gate {
    /// Every expected scope completed a full pass that started inside the window
    /// and, where its domain held anything, checked something.
    static func passChecks(_ c: PostgresConnection, _ expected: [GateExpectation], _ window: Double) async throws -> [GateCheck] {
        var checks: [GateCheck] = []
        for e in expected {
            var failures: [String] = []
            for scope in e.coveredBy {
                let rows = try await c.query("""
                    SELECT p.items_checked, \(e.itemsExisted ?? "false"),
                           to_char(p.finished_at, 'YYYY-MM-DD HH24:MI:SS')
                    FROM passes p
                    WHERE p.verifier = $1 AND p.scope = $2 AND p.state = 'complete'
                      AND p.started_at >= now() - make_interval(secs => $3)
                    ORDER BY p.started_at DESC LIMIT 1
                    """, [.text(e.verifier), .text(scope), .float64(window)])
                if rows.count == 0 {
                    let last = try await c.query("""
                        SELECT coalesce(to_char(max(finished_at), 'YYYY-MM-DD HH24:MI:SS'), 'never')
                        FROM passes WHERE verifier = $1 AND scope = $2 AND state = 'complete'
                        """, [.text(e.verifier), .text(scope)]).string(0, 0)
                    failures.append(last == "never"
                        ? "\(scope): no complete pass ever recorded (is the verifier running?)"
                        : "\(scope): no full pass started inside the window (last finished \(last))")
                } else if try rows.int64(0, 0) == 0, try rows.bool(0, 1) {
                    failures.append("\(scope): the last pass (finished \(rows.string(0, 2))) checked nothing although there was data to check")
                }
            }
            checks.append(GateCheck(
                verifier: e.verifier, scope: e.scope, passed: failures.isEmpty,
                detail: failures.isEmpty ? "full pass inside the window" : failures.joined(separator: "; ")))
        }
        return checks
    }

    /// No unresolved error or critical finding, and none seen inside the window
    /// even if repaired since (a fault in staging blocks its release); no watcher
    /// failure and no referee finding inside the window. Findings an operator
    /// resolved by hand (`vigil findings resolve`) do not block, but are listed.
    static func findingChecks(_ c: PostgresConnection, scope: String, _ window: Double) async throws -> [GateCheck] {
        let rows = try await c.query("""
            SELECT id, verifier, kind, subject, severity, resolved_at IS NOT NULL, coalesce(resolution, '') LIKE 'by hand:%',
                   coalesce(resolution, '')
            FROM findings
            WHERE (severity IN ('error', 'critical') AND (resolved_at IS NULL OR last_seen >= now() - make_interval(secs => $1)))
               OR (verifier IN ('storage-watcher', 'extent-referee') AND severity <> 'info' AND last_seen >= now() - make_interval(secs => $1))
            ORDER BY id LIMIT 1000
            """, [.float64(window)])
        var checks: [GateCheck] = []
        for i in 0..<rows.count {
            let byHand = try rows.bool(i, 6)
            let state = try rows.bool(i, 5) ? (byHand ? ", \(rows.string(i, 7))" : ", since resolved") : ""
            checks.append(GateCheck(
                verifier: rows.string(i, 1), scope: scope, passed: byHand,
                detail: "finding \(try rows.int64(i, 0)) \(rows.string(i, 2)) (\(rows.string(i, 4))\(state)) on \(rows.string(i, 3))"))
        }
        if !checks.contains(where: { !$0.passed }) {
            checks.insert(GateCheck(verifier: "findings", scope: scope, passed: true,
                                    detail: "no error or critical finding in the window, none open"), at: 0)
        }
        return checks
    }
}

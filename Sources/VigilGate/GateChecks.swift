import VigilCore
import VigilLedger
import VigilPostgres

/// One (verifier, scope) that must have completed a pass, and — when it has
/// something to check — what "something" is: per covered scope, a SQL condition
/// over the store's tables, true when items existed before the pass started
/// (`$1`, seconds since the epoch), so a pass that checked nothing while they did
/// blocks; for a watcher stage, the sampled writes its passes must have checked.
struct GateExpectation: Sendable {
    var verifier: VerifierID
    var scope: LedgerScope
    /// The scopes whose complete passes together cover this one (a sharded scanner).
    var coveredBy: [LedgerScope]
    var itemsExisted: [LedgerScope: String] = [:]
    var stage: WatcherStageExpectation? = nil
}

enum GateExpectations {
    /// Items older than a minute at a pass's start: younger ones may not have reached its domain yet.
    private static let before = "to_timestamp($1) - interval '1 minute'"

    static func zone(_ t: ZoneTopology, liveNodes: [Int]) -> [GateExpectation] {
        var out: [GateExpectation] = []
        for node in liveNodes {
            let scope = LedgerScope.node(node, in: t.zone)
            out.append(GateExpectation(
                verifier: .diskScrubber, scope: scope, coveredBy: [scope],
                itemsExisted: [scope: """
                    EXISTS (SELECT 1 FROM volume_replicas r JOIN volumes v ON v.id = r.volume_id
                            WHERE r.node_id = \(node) AND r.state = '\(ReplicaState.live)' AND v.created_at < \(before))
                    """]))
            out.append(GateExpectation(verifier: .extentReferee, scope: scope, coveredBy: [scope]))
        }
        let live = "state = 0 AND created_at < \(before)"
        if t.scannerShards == 1 {
            out.append(GateExpectation(
                verifier: .metadataScanner, scope: .zone(t.zone), coveredBy: [.zone(t.zone)],
                itemsExisted: [.zone(t.zone): "EXISTS (SELECT 1 FROM blocks WHERE \(live))"]))
        } else {
            // Each shard its own slice of the key space: a shard that checked nothing while its slice held blocks blocks.
            var scopes: [LedgerScope] = [], shards: [LedgerScope: String] = [:]
            for index in 0..<t.scannerShards {
                let range = KeyRange.shard(index, of: t.scannerShards)
                let end = range.end.map { " AND key < '\\x\($0.hex)'::bytea" } ?? ""
                scopes.append(.shard(index + 1, of: t.scannerShards, in: t.zone))
                shards[scopes[index]] = "EXISTS (SELECT 1 FROM blocks WHERE key >= '\\x\(range.start.hex)'::bytea\(end) AND \(live))"
            }
            out.append(GateExpectation(
                verifier: .metadataScanner, scope: .zone(t.zone), coveredBy: scopes,
                itemsExisted: shards))
        }
        out.append(GateExpectation(verifier: .trashInspector, scope: .zone(t.zone), coveredBy: [.zone(t.zone)]))
        for stage in t.watcherStages {
            let scope = LedgerScope.stage(stage, in: t.zone)
            out.append(GateExpectation(
                verifier: .storageWatcher, scope: scope, coveredBy: [scope],
                stage: WatcherStageExpectation(name: stage, profile: t.profile)))
        }
        return out
    }

    static let crossZone = GateExpectation(
        verifier: .crossZoneVerifier, scope: .global, coveredBy: [.global],
        itemsExisted: [.global: "EXISTS (SELECT 1 FROM files WHERE created_at < \(before))"])
}

extension Gate {
    /// Every expected scope completed a full pass that started inside the window
    /// and, where its domain held anything, checked something.
    static func passChecks(_ c: PostgresConnection, _ expected: [GateExpectation], _ window: Double) async throws -> [GateCheck] {
        let ledger = LedgerReader(c)
        var checks: [GateCheck] = []
        for e in expected {
            var failures: [String] = []
            for scope in e.coveredBy {
                if let pass = try await ledger.lastCompletePass(e.verifier, scope: scope, startedWithinSeconds: window) {
                    if pass.itemsChecked == 0, let condition = e.itemsExisted[scope],
                       try await c.query("SELECT \(condition)", [.float64(pass.startedAt)]).bool(0, 0) {
                        failures.append("\(scope): the last pass (finished \(time(pass.finishedAt))) checked nothing although there was data to check")
                    }
                    if let stage = e.stage, let unchecked = try await stage.uncheckedSamples(c, scope: scope, window: window) {
                        failures.append("\(scope): \(unchecked)")
                    }
                } else if let last = try await ledger.lastCompletePass(e.verifier, scope: scope) {
                    failures.append("\(scope): no full pass started inside the window (last finished \(time(last.finishedAt)))")
                } else {
                    failures.append("\(scope): no complete pass ever recorded (is the verifier running?)")
                }
            }
            checks.append(GateCheck(
                verifier: e.verifier.rawValue, scope: e.scope.rawValue, passed: failures.isEmpty,
                detail: failures.isEmpty ? "full pass inside the window" : failures.joined(separator: "; ")))
        }
        return checks
    }

    /// No unresolved error or critical finding, and none seen inside the window
    /// even if repaired since (a fault in staging blocks its release); no watcher
    /// failure and no referee finding inside the window. Findings an operator
    /// resolved by hand (`vigil findings resolve`) do not block, but are listed.
    static func findingChecks(_ c: PostgresConnection, scope: String, _ window: Double) async throws -> [GateCheck] {
        let ledger = LedgerReader(c)
        let blockingFilters = [
            FindingFilter(window: .openOrSeenWithin(seconds: window), severities: [.error, .critical]),
            FindingFilter(window: .seenWithin(seconds: window), verifiers: [.storageWatcher, .extentReferee], severities: [.warning, .error, .critical]),
        ]
        // The verdict counts every blocking finding; the lists below (newest first, capped) only show them.
        let blocking = try await ledger.findingCount(matchingAny: blockingFilters, countingByHand: false)
        let serious = try await ledger.findings(blockingFilters[0])
        let watched = try await ledger.findings(blockingFilters[1])
        var seen: Set<Int64> = []
        let findings = (serious + watched).filter { seen.insert($0.id).inserted }.sorted { $0.id < $1.id }.prefix(1000)
        var checks: [GateCheck] = findings.map { f in
            let state = f.isOpen ? "" : (f.resolvedByHand ? ", \(f.resolution ?? "")" : ", since resolved")
            return GateCheck(
                verifier: f.verifier.rawValue, scope: scope, passed: f.resolvedByHand,
                detail: "finding \(f.id) \(f.kind) (\(f.severity.rawValue)\(state)) on \(f.subject)")
        }
        let listed = checks.count { !$0.passed }
        if blocking > listed {
            checks.append(GateCheck(verifier: "findings", scope: scope, passed: false,
                                    detail: "and \(blocking - listed) more blocking findings in the window not listed here (vigil findings)"))
        }
        if !checks.contains(where: { !$0.passed }) {
            checks.insert(GateCheck(verifier: "findings", scope: scope, passed: true,
                                    detail: "no error or critical finding in the window, none open"), at: 0)
        }
        return checks
    }

    static func time(_ epoch: Double?) -> String { epoch.map(LedgerReader.timeText) ?? "never" }
}

import Foundation
import VigilCore
import VigilDev
import VigilNodeClient
import VigilPostgres

extension DRT {
    /// Polls the findings until every fault is caught by its verifier, with its
    /// kind and exact subject, or the time is up. A fault no daemon repairs is
    /// undone as soon as it is caught (a wrong credential would hide other faults).
    func waitForDetection(_ injected: inout [Injected], timeout: Duration) async throws {
        var databases: [String: PostgresConnection] = ["journal": try await PostgresConnection.connect(url: cluster.journalDatabase)]
        for context in zones { databases[context.zone.name] = try await PostgresConnection.connect(url: context.zone.database) }
        for i in injected.indices {
            let item = injected[i]
            injected[i].report = FaultReport(
                seed: item.seed, class: item.fault.rawValue, target: item.target,
                expected: item.detection.matchers.map { "\($0.verifier) \($0.kinds.map(\.rawValue).joined(separator: "|")) \($0.subject)" }.joined(separator: " or "),
                detected: false, repairable: item.fault.repairable, repaired: false)
        }
        let deadline = ContinuousClock.now + timeout
        while true {
            for i in injected.indices where injected[i].report?.detected != true {
                let item = injected[i]
                var found: (verifier: String, rows: PostgresRows)?
                for m in item.detection.matchers where found == nil {
                    let rows = try await databases[item.detection.inJournal ? "journal" : item.detection.zone]!.query("""
                        SELECT kind, subject, greatest(extract(epoch FROM first_seen), $4) - $4 FROM findings
                        WHERE verifier = $1 AND kind = ANY(string_to_array($2, ',')) AND subject LIKE $3 AND extract(epoch FROM last_seen) >= $4
                        ORDER BY first_seen LIMIT 1
                        """, [.text(m.verifier), .text(m.kinds.map(\.rawValue).joined(separator: ",")), .text(m.subject), .float64(item.injectedAt - 1)])
                    if rows.count == 1 { found = (m.verifier, rows) }
                }
                guard let (verifier, rows) = found else { continue }
                injected[i].report?.detected = true
                injected[i].report?.verifier = verifier
                injected[i].report?.finding = "\(try rows.string(0, 0)) \(try rows.string(0, 1))"
                injected[i].report?.seconds_to_detect = max(0, try rows.float64(0, 2) - 1)
                log("seed \(item.seed): detected \(item.fault.rawValue) by \(verifier): \(try rows.string(0, 0))")
                try await undo(&injected[i])
            }
            // Undos a fenced node refused (its wrong credential not yet caught) are tried again.
            for i in injected.indices where injected[i].report?.detected == true && injected[i].undo != nil { try await undo(&injected[i]) }
            // Repairs are timed from the injection: look while detections are still awaited.
            _ = try await pollRepairs(&injected)
            if injected.allSatisfy({ $0.report?.detected == true }) || ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .seconds(1))
        }
        // Undo what was never caught too: the next seed must start clean. Fenced
        // nodes get their own credential back first, so undos that talk to them work.
        let fencesFirst = injected.indices.filter { injected[$0].fault == .wrongCredential } + injected.indices.filter { injected[$0].fault != .wrongCredential }
        for i in fencesFirst where injected[i].undo != nil { try await undo(&injected[i], mayDefer: false) }
    }

    /// Runs a fault's undo. A node restarted with a wrong credential refuses an
    /// undo that talks to it (401) until that fault is caught and undone in
    /// turn: the undo is kept and tried again on the next round.
    func undo(_ item: inout Injected, mayDefer: Bool = true) async throws {
        guard let undo = item.undo else { return }
        item.undo = nil
        do {
            item.report?.note = try await undo()
        } catch let error as NodeClientError where error.isUnauthorized && mayDefer {
            item.undo = undo
            log("seed \(item.seed): undo of \(item.fault.rawValue) deferred: \(error)")
            return
        }
        log("seed \(item.seed): \(item.report?.note ?? "")")
    }

    /// Waits until the cluster has repaired every repairable fault that was
    /// detected: the damaged replica live again and its file verifying clean,
    /// or a lost node's volumes back at R elsewhere.
    func waitForRepairs(_ injected: inout [Injected], timeout: Duration) async throws {
        for i in injected.indices {
            if case .nodeRetired(let zone, let node, _)? = injected[i].repair, let reason = retireDeadNode(zone: zone, node: node) {
                injected[i].report?.note = reason
                injected[i].repair = nil
            }
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, try await pollRepairs(&injected) > 0 {
            try await Task.sleep(for: .seconds(1))
        }
        for i in injected.indices where injected[i].fault.repairable && injected[i].report?.repaired == false && injected[i].report?.note == nil {
            let detected = injected[i].report?.detected == true
            injected[i].report?.note = detected ? "not repaired within \(timeout)" : "never detected, so never repaired"
        }
        // A volume the cluster brought back can take a fault again in a later seed.
        for item in injected where item.report?.repaired == true {
            if case .replica(let zone, let volume, _)? = item.repair { usedVolumes.remove("\(zone)/\(volume)") }
        }
    }

    /// Looks once at every detected repairable fault not yet repaired; returns how many still are not.
    func pollRepairs(_ injected: inout [Injected]) async throws -> Int {
        var pending = 0
        for i in injected.indices where injected[i].report?.repaired == false && injected[i].report?.detected == true {
            guard let check = injected[i].repair, injected[i].fault.repairable else { continue }
            guard try await isRepaired(check) else { pending += 1; continue }
            let now = try await databaseNow(zones[zoneIndex(of: check)].zone.database)
            let at = injected[i].injectedAt
            injected[i].report?.repaired = true
            injected[i].report?.seconds_to_repair = now - at
            log("seed \(injected[i].seed): repaired \(injected[i].fault.rawValue): \(injected[i].target)")
        }
        return pending
    }

    func zoneIndex(of check: RepairCheck) -> Int {
        switch check {
        case .replica(let zone, _, _), .nodeRetired(let zone, _, _): zones.firstIndex { $0.zone.name == zone } ?? 0
        }
    }

    func isRepaired(_ check: RepairCheck) async throws -> Bool {
        let z = zoneIndex(of: check)
        switch check {
        case .nodeRetired(_, let node, let volumes):
            return try await volumesShort(zone: z, node: node, volumes: volumes) == 0
        case .replica(_, let volume, let nodeID):
            guard let replica = try await zones[z].index.replicas(of: volume).first(where: { $0.node.id == nodeID }), replica.state == "live",
                  let node = zones[z].zone.nodes.first(where: { $0.id == nodeID }) else { return false }
            let name = ExtentName(volume: UInt64(volume), generation: UInt32(replica.generation))
            let sealed = try await zones[z].index.volume(volume)?.state == "sealed"
            let path = "\(node.dataDirectory)/extents/\(name)"
            let live = Set(try await zones[z].index.liveKeys(in: volume))
            return try await blockingIO {
                var options = ExtentScanOptions()
                options.expectSealed = sealed ? true : nil
                var keys = Set<BlockKey>()
                guard FileManager.default.fileExists(atPath: path),
                      let report = try? ExtentReader(path: path).scan(options: options, onRecord: { if $0.isIntact { keys.insert($0.key) } }) else { return false }
                // Clean, this volume's, and holding every live block the index puts in it.
                return report.isClean && report.header?.volume == name.volume && report.header?.generation == name.generation && live.isSubset(of: keys)
            }
        }
    }
}

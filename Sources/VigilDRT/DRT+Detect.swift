import Foundation
import VigilCore
import VigilDev
import VigilNodeClient
import VigilPostgres

extension DRT {
    /// Polls the findings until every fault is caught or the time is up.
    func waitForDetection(_ injected: inout [Injected], timeout: Duration) async throws {
        let zoneDB = try await PostgresConnection.connect(url: zone.database)
        let journalDB = try await PostgresConnection.connect(url: cluster.journalDatabase)
        let deadline = ContinuousClock.now + timeout
        while true {
            for i in injected.indices where injected[i].report?.detected != true {
                let item = injected[i]
                let rows = try await (item.detection.inJournal ? journalDB : zoneDB).query("""
                    SELECT kind, subject, greatest(extract(epoch FROM first_seen), $4) - $4 FROM findings
                    WHERE verifier = $1 AND kind = ANY(string_to_array($2, ',')) AND subject LIKE $3 AND extract(epoch FROM last_seen) >= $4
                    ORDER BY first_seen LIMIT 1
                    """, [.text(item.detection.verifier), .text(item.detection.kinds.map(\.rawValue).joined(separator: ",")), .text(item.detection.subject),
                          .float64(item.injectedAt - 1)])
                if rows.count == 1 {
                    injected[i].report = FaultReport(
                        class: item.fault.rawValue, target: item.target, detected: true, verifier: item.detection.verifier,
                        finding: "\(rows.string(0, 0)) \(rows.string(0, 1))", seconds_to_detect: max(0, try rows.float64(0, 2) - 1), repaired: false)
                    log("detected \(item.fault.rawValue) by \(item.detection.verifier): \(rows.string(0, 0))")
                } else {
                    injected[i].report = FaultReport(class: item.fault.rawValue, target: item.target, detected: false, repaired: false)
                }
            }
            if injected.allSatisfy({ $0.report?.detected == true }) || ContinuousClock.now >= deadline { return }
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// A fault is repaired when its replica's repair completed after the injection.
    func checkRepairs(_ injected: inout [Injected]) async throws {
        let db = try await PostgresConnection.connect(url: zone.database)
        // Give the master a little longer to finish the repairs it has started.
        let deadline = ContinuousClock.now + .seconds(30)
        for i in injected.indices {
            guard let (volume, node) = injected[i].repair, injected[i].report?.detected == true else { continue }
            while ContinuousClock.now < deadline {
                let done = try await db.query("""
                    SELECT 1 FROM repair_queue WHERE volume_id = $1 AND node_id = $2 AND state = 'done' AND extract(epoch FROM updated_at) >= $3
                    """, [.int64(volume), .int32(Int32(node)), .float64(injected[i].injectedAt)]).count > 0
                if done { injected[i].report?.repaired = true; break }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Undoes what no daemon repairs on its own: trash extents that still hold live data go back.
    func cleanUp(_ injected: inout [Injected]) async throws {
        for i in injected.indices {
            guard let (volume, node) = injected[i].restore else { continue }
            let name = ExtentName(volume: UInt64(volume), generation: 1)
            // Withdraw the bad instruction if the master has not carried it out yet.
            let withdrawn = try await index.pool.withConnection { c in
                try await c.query(
                    "DELETE FROM extent_instructions WHERE kind = 'trash' AND node_id = $1 AND volume_id = $2 AND executed_at IS NULL",
                    [.int32(Int32(node.id)), .int64(volume)]).affectedRows
            }
            if withdrawn > 0 {
                injected[i].report?.repaired = true
                log("withdrew the trash instruction for \(name) on \(node.name)")
                continue
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while !FileManager.default.fileExists(atPath: "\(node.dataDirectory)/trash/\(name)"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            let id = try await index.recordInstruction(kind: "restore", node: node.id, volume: volume, generation: 1, reason: "drt: undo a bad trash instruction")
            do {
                try await NodeClient(address: node.address, token: cluster.tokens.admin).restore(name, instruction: id)
            } catch let error as NodeClientError where error.code == "generation_conflict" {
                // A repair already put a verified copy back into service on that node.
                log("\(name) on \(node.name) is already back in service")
            }
            try await index.markExecuted(id)
            try await index.setReplicaState(volume: volume, node: node.id, state: "live")
            injected[i].report?.repaired = true
            log("restored \(name) on \(node.name)")
        }
    }
}

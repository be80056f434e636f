import Foundation
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres

/// The settle phase's judgements of the ledger against the store.
extension Chaos {
    /// Reads back every block the ledger holds live, and every block whose delete
    /// went unanswered: those that read back verified are live, those the frontend
    /// calls deleted or unknown were deleted. Returns the lost blocks and the
    /// blocks known deleted.
    func checkReads(_ ledger: ChaosLedger, frontend: FrontendClient) async -> (lost: [BlockKey], deleted: [BlockKey]) {
        var lost: [BlockKey] = [], deleted = Array(ledger.deleted)
        for key in ledger.live {
            guard case .found(let data)? = try? await frontend.get(key), BlockKey.of(data) == key else {
                lost.append(key)
                log("LOST \(key)")
                continue
            }
        }
        for key in ledger.uncertain {
            switch try? await frontend.get(key) {
            case .found(let data)? where BlockKey.of(data) == key: continue
            case .deleted?, .notFound?: deleted.append(key)
            default:
                lost.append(key)
                log("LOST \(key) (its delete went unanswered, and it neither reads back nor reads as deleted)")
            }
        }
        return (lost, deleted)
    }

    /// Waits (until `deadline`) for every deleted block to be gone as the design
    /// says: the frontend serves no byte of it, its index row is deleted (or gone),
    /// and once GC compacted its volume away no node holds it live any more (its
    /// old extents are in trash, or unlinked after inspection and retention). A
    /// deleted block in a volume GC has not compacted stays in that volume's
    /// extents by design. Returns what still does not hold at the deadline.
    func checkDeletes(_ keys: [BlockKey], zone: ClusterFile.Zone, until deadline: ContinuousClock.Instant) async throws -> [String] {
        let frontend = FrontendClient(address: zone.frontend, token: frontendToken)
        let index = BlockIndex(pool: PostgresPool(url: zone.database, size: 1))
        var reported = ContinuousClock.now
        while true {
            var problems: [String] = []
            var inRetiredVolumes: [(key: BlockKey, volume: UInt64)] = []
            for key in keys {
                switch try? await frontend.get(key) {
                case .deleted?, .notFound?: break
                case .found?: problems.append("deleted block \(key) is still served")
                case nil: problems.append("deleted block \(key): the frontend did not answer")
                }
                guard let row = try await index.lookup(key) else { continue }
                if row.state == .live { problems.append("deleted block \(key) is live in the index") }
                if try await index.volume(row.volume)?.state == "retired" { inRetiredVolumes.append((key, UInt64(row.volume))) }
            }
            for node in zone.nodes where !inRetiredVolumes.isEmpty {
                let answers = try? await NodeClient(address: node.address, token: cluster.tokens.reader).check(inRetiredVolumes)
                guard let answers else {
                    problems.append("\(node.name) did not answer the presence check")
                    continue
                }
                for (pair, presence) in zip(inRetiredVolumes, answers) where presence != .absent && presence != .trashOnly {
                    problems.append("deleted block \(pair.key) of compacted volume \(pair.volume) is still live on \(node.name)")
                }
            }
            if problems.isEmpty || ContinuousClock.now >= deadline {
                log("deletes: \(keys.count) deleted blocks, \(inRetiredVolumes.count) of them in volumes GC compacted away; \(problems.isEmpty ? "every one gone or in trash" : "\(problems.count) problems")")
                return problems
            }
            if ContinuousClock.now - reported >= .seconds(10) {
                reported = ContinuousClock.now
                log("deletes: waiting on \(problems.count) problems (\(deadline - reported) left), first: \(problems[0])")
            }
            try await Task.sleep(for: .seconds(1))
        }
    }

    /// Waits until every (verifier, scope) that ever recorded a pass (the storage
    /// watcher's stages are judged by their commits instead) completed one that
    /// started after `settled`; returns those that did not by `deadline`.
    func waitForPasses(_ db: PostgresConnection, after settled: Double, until deadline: ContinuousClock.Instant) async throws -> [String] {
        let scopes = try await db.query("SELECT DISTINCT verifier, scope FROM passes WHERE verifier <> 'storage-watcher'")
        var missing: [String] = (0..<scopes.count).map { "\(scopes.string($0, 0)) \(scopes.string($0, 1))" }
        while !missing.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(1))
            let done = try await db.query("""
                SELECT DISTINCT verifier || ' ' || scope FROM passes WHERE state = 'complete' AND extract(epoch FROM started_at) > $1
                """, [.float64(settled)])
            let complete = Set((0..<done.count).map { done.string($0, 0) })
            missing.removeAll { complete.contains($0) }
        }
        return missing
    }

    /// The volumes GC compacted and the replicas drains moved since `started` (their trash instructions).
    func maintenanceDone(_ db: PostgresConnection, since started: Double) async throws -> (compacted: Int, moved: Int) {
        let rows = try await db.query("""
            SELECT count(DISTINCT volume_id) FILTER (WHERE reason LIKE 'gc:%')::int8, count(*) FILTER (WHERE reason LIKE 'drain:%')::int8
            FROM extent_instructions WHERE kind = 'trash' AND extract(epoch FROM created_at) >= $1
            """, [.float64(started)])
        return (try rows.int(0, 0), try rows.int(0, 1))
    }
}

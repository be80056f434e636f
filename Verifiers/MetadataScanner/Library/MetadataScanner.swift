import Foundation
import Metrics
import Synchronization
import VigilCore
import VigilLedger
import VigilNodeClient
import VigilPostgres
import VigilVerifier

/// Streams the block index in key order and asks every node that should hold
/// each block, in large batches, whether it does. One index page per step.
public final class MetadataScanner: SweepCheck {
    public let config: MetadataScannerConfig
    let pool: PostgresPool
    let replicas: ReplicaMap
    /// The scan's own connection (a keyset page at a time).
    private let connection = Mutex<PostgresConnection?>(nil)
    /// The next index page, read while the nodes answer about the current one.
    private let prefetched = Mutex<(after: BlockKey, rows: Task<[BlockRow], Error>)?>(nil)

    /// Nodes that refuse our credential, with what to fix: unhealthy until they answer.
    let refusing = Mutex<[Int: String]>([:])
    /// How long a recheck of a node that still does not answer waits before the next.
    private let recheckBackoff = Mutex<Duration>(.seconds(1))

    static let blockKinds = [FindingKind.missing.rawValue, FindingKind.onlyInTrash.rawValue]
    /// Node states after which a node never answers again.
    static let goneForGood: Set<NodeState> = [.dead, .retired]
    /// Replicas found without their block, each time seen: the graph that should stay at zero.
    let missingBlocks: Counter
    /// Suspects (a block a node did not hold, an unknown volume, a thin volume)
    /// that re-reading cleared: GC, drain or repair had moved them under the pass.
    let suspectsCleared: Counter

    public init(config: MetadataScannerConfig, pool: PostgresPool) {
        self.config = config
        self.pool = pool
        replicas = ReplicaMap(pool: pool, maxAge: config.replicaCacheAge)
        missingBlocks = Counter(label: "vigil_metadata_scanner_missing_blocks_total", dimensions: [("zone", config.zone)])
        suspectsCleared = Counter(label: "vigil_metadata_scanner_suspects_cleared_total", dimensions: [("zone", config.zone)])
    }

    public func estimatePass() async throws -> PassEstimate {
        // The planner's row estimate: cheap, and close enough for progress.
        let rows = try await pool.withConnection { c in
            try await c.query("SELECT greatest(reltuples, 0)::int8 FROM pg_class WHERE relname = 'blocks'").int64(0, 0)
        }
        return PassEstimate(units: Double(rows) / Double(config.shardCount), unit: .items)
    }

    public func step(at cursor: ScannerCursor?, limiter: SharedRateLimiter) async throws -> Step<ScannerCursor> {
        do {
            return try await checkedStep(from: cursor ?? ScannerCursor(), limiter: limiter)
        } catch let error as PostgresError where error.code == .connection {
            connection.withLock { $0 = nil }  // reconnect on the next step (the server restarted)
            prefetched.withLock { $0 = nil }
            throw error
        }
    }

    private func checkedStep(from start: ScannerCursor, limiter: SharedRateLimiter) async throws -> Step<ScannerCursor> {
        var cursor = start
        var outcome = StepOutcome()
        if !cursor.exhausted {
            let page = try await indexPage(after: cursor.lastKey)
            if page.count == config.pageSize, let last = page.last { try await prefetch(after: last.key) }
            if let last = page.last {
                let checked = try await check(page, onlyNode: nil)
                outcome.merge(checked.outcome)
                for node in checked.unanswered { cursor.addDeferred(node: node, from: page[0].key, to: last.key) }
                cursor.lastKey = last.key
                await limiter.wait(page.count)
            }
            if page.count < config.pageSize { cursor.exhausted = true }
        } else if !cursor.deferred.isEmpty {
            try await recheckDeferred(&cursor, &outcome)
        }
        outcome.unhealthy = refusals()
        return cursor.exhausted && cursor.deferred.isEmpty ? .complete(outcome) : .next(cursor, outcome)
    }

    /// Rechecks, a page at a time, ranges on nodes that did not answer before —
    /// once they answer again. While none does, waits a little.
    private func recheckDeferred(_ cursor: inout ScannerCursor, _ outcome: inout StepOutcome) async throws {
        await dropPrefetched()
        _ = try await replicas.lookup([])  // node states as they are now, not as the pass began
        for i in cursor.deferred.indices {
            let pending = cursor.deferred[i]
            guard let node = await replicas.node(pending.node), !Self.goneForGood.contains(NodeState(rawValue: node.state)) else {
                // Gone for good: its replicas are lost and the master rebuilds them on
                // other nodes; the next pass checks the blocks there. Waiting for it
                // would hold this pass open forever.
                cursor.deferred.remove(at: i)
                return
            }
            guard await NodeClient(address: node.address, token: config.nodeToken).isHealthy() else { continue }
            let range = KeyRange(start: pending.from, end: nil)
            let page = try await BlockIndexScan.page(connection: try await scanConnection(), range: range, after: nil, limit: config.pageSize)
                .filter { $0.key <= pending.to }
            let checked = try await check(page, onlyNode: pending.node)
            outcome.merge(checked.outcome)
            guard checked.unanswered.isEmpty else {
                // Still refused or still silent: wait longer each time, never spin.
                let wait = recheckBackoff.withLock { b in
                    defer { b = min(b * 2, .seconds(30)) }
                    return b
                }
                try await Task.sleep(for: wait)
                return
            }
            recheckBackoff.withLock { $0 = .seconds(1) }
            if let last = page.last, last.key < pending.to, page.count == config.pageSize {
                cursor.deferred[i].from = BlockKey.successor(of: last.key)
            } else {
                cursor.deferred.remove(at: i)
            }
            return
        }
        try await Task.sleep(for: .seconds(1))  // every node we wait for is still down
    }

    /// The page after `after`: the prefetched one when it is that page.
    private func indexPage(after: BlockKey?) async throws -> [BlockRow] {
        if let after, let pending = prefetched.withLock({ $0?.after == after ? $0.take() : nil }) {
            return try await pending.rows.value
        }
        await dropPrefetched()
        return try await BlockIndexScan.page(connection: try await scanConnection(), range: config.range, after: after, limit: config.pageSize)
    }

    private func prefetch(after: BlockKey) async throws {
        let (connection, range, limit) = (try await scanConnection(), config.range, config.pageSize)
        let rows = Task { try await BlockIndexScan.page(connection: connection, range: range, after: after, limit: limit) }
        prefetched.withLock { $0 = (after, rows) }
    }

    /// Forgets a prefetched page the scan no longer wants (the cursor moved
    /// elsewhere), once its query is over.
    private func dropPrefetched() async {
        guard let stale = prefetched.withLock({ $0.take() }) else { return }
        _ = try? await stale.rows.value
    }

    private func scanConnection() async throws -> PostgresConnection {
        if let c = connection.withLock({ $0 }) { return c }
        let c = try await PostgresConnection.connect(url: config.databaseURL, label: "scan")
        connection.withLock { $0 = c }
        return c
    }
}

extension BlockKey {
    /// The next key in byte order (the key itself when it is the last possible).
    static func successor(of key: BlockKey) -> BlockKey {
        var k = key
        k.w3 &+= 1
        if k.w3 == 0 { k.w2 &+= 1; if k.w2 == 0 { k.w1 &+= 1; if k.w1 == 0 { k.w0 &+= 1 } } }
        return k == .zero ? key : k
    }
}

extension StepOutcome {
    mutating func merge(_ other: StepOutcome) {
        items += other.items
        findings += other.findings
        cleanPrefixes += other.cleanPrefixes
        cleanKeyRanges += other.cleanKeyRanges
        repairs.formUnion(other.repairs)
        unreachable += other.unreachable
    }
}

import Foundation
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres

/// The chaos run: writes, reads and deletes through the frontend, GC compacting
/// what the deletes emptied and nodes drained, with every verifier running,
/// while random daemons are killed with SIGKILL and restarted, PostgreSQL is
/// restarted (a fast shutdown, and an immediate one: crash recovery) and the
/// Kafka broker too. Afterwards nothing acknowledged may be lost, nothing
/// deleted may be served or left live after GC, and no verifier may report a
/// fault that was never injected.
public struct ChaosReport: Sendable, Codable {
    public var seconds: Double
    public var events: [String]
    public var blocksWritten: Int
    public var blocksLost: Int
    /// Blocks whose delete took effect (acknowledged, or unanswered and read back as deleted).
    public var blocksDeleted: Int
    /// Deleted blocks not gone as the design says: still served, live in the
    /// index, or live on a node after GC compacted their volume away.
    public var deletesNotHeld: [String]
    /// Volumes GC compacted (or retired empty) during the run and the settle.
    public var volumesCompacted: Int
    /// Replicas drains moved off their node.
    public var replicasDrained: Int
    public var falsePositives: [String]
    public var verifiersWithoutPass: [String]
    /// Samples the frontend published (the sample topic's high watermarks, summed).
    public var samplesPublished: Int64
    /// Watcher stages whose group had not committed every published sample, as "stage: committed of published".
    public var stagesBehind: [String]
    public var passed: Bool {
        blocksLost == 0 && deletesNotHeld.isEmpty && falsePositives.isEmpty && verifiersWithoutPass.isEmpty && stagesBehind.isEmpty
    }
}

public final class Chaos {
    var cluster: ClusterFile
    let clusterPath: String
    var rng: SeededGenerator
    let log: @Sendable (String) -> Void
    /// The load writes, reads back and deletes: a token with every role (admin).
    let frontendToken: String?

    /// `frontendToken`: default the cluster file's admin token.
    public init(clusterPath: String, frontendToken: String? = nil, seed: UInt64, log: @escaping @Sendable (String) -> Void) throws {
        self.clusterPath = clusterPath
        cluster = try ClusterFile.load(clusterPath)
        self.frontendToken = frontendToken ?? cluster.frontendTokens?.admin
        rng = SeededGenerator(seed: seed)
        let file = "\(cluster.directory)/logs/chaos.log"
        self.log = { line in
            log(line)
            Self.append(line, to: file)
        }
    }

    /// Appends a timestamped line to the run's own log beside the daemons'
    /// (`logs/chaos.log`: kept whatever the report format, for a failed run's post-mortem).
    private static func append(_ line: String, to path: String) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let bytes = Array("\(ISO8601DateFormatter().string(from: Date())) \(line)\n".utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    public func run(seconds: Int, settle: Duration = .seconds(120)) async throws -> ChaosReport {
        let zone = cluster.zones[0]
        let index = BlockIndex(pool: PostgresPool(url: zone.database, size: 2))
        let started = try await PostgresConnection.connect(url: zone.database).query("SELECT extract(epoch FROM now())::float8").float64(0, 0)
        // The run's drains and compactions are churn an operator announces: the
        // master's blast-radius cap is lifted for the zone's nodes meanwhile.
        for node in zone.nodes {
            try await index.liftBlastRadiusCap(node: node.id, seconds: Double(seconds) + 3600, reason: "vigil chaos: announced churn (drains, GC)")
        }
        let events = LockedValue<[String]>([])
        let load = ChaosLoad(frontend: FrontendClient(address: zone.frontend, token: frontendToken), ledger: LockedValue(ChaosLedger()), stop: LockedValue(false))
        let maintenance = ChaosMaintenance(index: index, load: load, events: events, log: log)
        let maintenanceSeed = rng.next()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await load.run() }
            group.addTask { await maintenance.run(seed: maintenanceSeed) }
            let deadline = ContinuousClock.now + .seconds(seconds)
            var disturbances = 0
            while ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(Int.random(in: 1500...4000, using: &rng)))
                let event = try await disturb(disturbances)
                disturbances += 1
                events.withLock { $0.append(event) }
                log(event)
            }
            load.stop.withLock { $0 = true }
            try await group.waitForAll()
        }
        // Settle: bring everything back, then demand a full pass of every verifier after it.
        cluster = try await DevCluster.up(DevClusterOptions(directory: cluster.directory), log: log)
        let db = try await PostgresConnection.connect(url: zone.database)  // the server restarted meanwhile
        let settled = try await db.query("SELECT extract(epoch FROM now())::float8").float64(0, 0)
        let ledger = load.ledger.value
        log("settling: \(ledger.written) blocks written, \(ledger.deleted.count + ledger.uncertain.count) deleted; waiting for a full pass of every verifier")
        let deadline = ContinuousClock.now + settle
        let missingPasses = try await waitForPasses(db, after: settled, until: deadline)
        let (published, behind) = try await waitForEveryStage(zone: zone.name, until: deadline)
        let (lost, deleted) = await checkReads(ledger, frontend: load.frontend)
        let deletesNotHeld = try await checkDeletes(deleted, zone: zone, until: max(deadline, ContinuousClock.now + .seconds(30)))
        let (compacted, drained) = try await maintenanceDone(db, since: started)
        let findings = try await db.query("""
            SELECT verifier || ' ' || kind || ' ' || subject FROM findings
            WHERE severity IN ('error', 'critical') AND extract(epoch FROM last_seen) >= $1
            """, [.float64(started)])
        return ChaosReport(
            seconds: Double(seconds), events: events.value, blocksWritten: ledger.written, blocksLost: lost.count,
            blocksDeleted: deleted.count, deletesNotHeld: deletesNotHeld, volumesCompacted: compacted, replicasDrained: drained,
            falsePositives: (0..<findings.count).map { findings.string($0, 0) }, verifiersWithoutPass: missingPasses,
            samplesPublished: published, stagesBehind: behind)
    }

    /// One random disturbance. The first three are always an immediate and a
    /// fast PostgreSQL restart and a broker restart; then at random.
    private func disturb(_ index: Int) async throws -> String {
        switch index < 3 ? index : Int.random(in: 0..<12, using: &rng) {
        case 0:
            try DevCluster.restartPostgres(cluster, immediate: true)
            return "restarted PostgreSQL (immediate shutdown: crash recovery)"
        case 1:
            try DevCluster.restartPostgres(cluster, immediate: false)
            return "restarted PostgreSQL (fast shutdown)"
        case 2:
            DevCluster.restartBroker(cluster)
            return "restarted the Kafka broker"
        default:
            let candidates = cluster.processes.indices.filter { cluster.processes[$0].name != "kafka-broker" }
            let i = candidates[Int.random(in: 0..<candidates.count, using: &rng)]
            DevCluster.kill9(cluster.processes[i])
            try await Task.sleep(for: .milliseconds(Int.random(in: 100...1500, using: &rng)))
            try DevCluster.restart(&cluster.processes[i])
            try cluster.save(clusterPath)
            return "kill -9 and restart \(cluster.processes[i].name)"
        }
    }
}

import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import VigilCore
import VigilNodeClient
import VigilPostgres
import VigilTelemetry

/// The zone master: seals volumes that stopped taking writes and executes the
/// repair queue. Safe to kill at any point: every step is re-derived from the
/// index on the next round, and an extent is replaced only by one verified clean.
/// Runs as the daemon's `services`, which report their health on `health`.
public final class Master: Sendable {
    public let config: MasterConfig
    let index: BlockIndex
    let logger: Logger
    /// What the master's services say about themselves; the daemon's `/healthz`.
    public let health = HealthBoard()
    let repairsDone = Counter(label: "vigil_master_repairs_total", dimensions: [("outcome", "done")])
    let repairsFailed = Counter(label: "vigil_master_repairs_total", dimensions: [("outcome", "failed")])
    let repairsRetried = Counter(label: "vigil_master_repairs_total", dimensions: [("outcome", "retry")])
    let repairsSuperseded = Counter(label: "vigil_master_repairs_total", dimensions: [("outcome", "superseded")])
    let repairsRefused = Counter(label: "vigil_master_repairs_total", dimensions: [("outcome", "refused")])
    let shortVolumesReopened = Counter(label: "vigil_master_repair_rereplications_total")
    let unlinks = Counter(label: "vigil_master_unlinks_total")
    let unlinksRefused = Counter(label: "vigil_master_unlinks_refused_total")
    let volumesCompacted = Counter(label: "vigil_master_volumes_compacted_total")
    let blastRadiusRefusals = Counter(label: "vigil_master_blast_radius_refusals_total")
    let rereplications = Counter(label: "vigil_master_rereplications_total")
    let volumesBelowReplication = Gauge(label: "vigil_master_volumes_below_replication")
    let liveness = Mutex(NodeLiveness())
    /// The File Journal (read only), for `unlinkHeld`.
    let journal: PostgresPool?

    public init(config: MasterConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        index = BlockIndex(pool: PostgresPool(url: config.databaseURL, size: 4))
        journal = config.journalDatabaseURL.map { PostgresPool(url: $0, size: 1) }
        try FileManager.default.createDirectory(atPath: config.workDirectory, withIntermediateDirectories: true)
    }

    /// The master's long-lived work for the daemon's service group, in start
    /// order (shut down in reverse): the index's and the File Journal's
    /// connection pools, a check that the database answers, and the rounds.
    public var services: [any Service] {
        [index.pool] + (journal.map { [$0] } ?? []) + [
            PeriodicService(name: "database", every: .seconds(5), health: health, overdueAfter: index.pool.leaseTimeout * 2, logger: logger) {
                try await self.index.pool.ping()
            },
            PeriodicService(name: "rounds", every: config.interval, health: health, overdueAfter: config.roundOverdueAfter, logger: logger) {
                try await self.runRound()
            },
        ]
    }

    /// One round: seal closed volumes, re-replicate dead nodes' volumes, work
    /// through the repair queue, GC, drain, trash and unlink — every destructive
    /// step within the blast-radius cap. A step that fails ends the round (the
    /// next round starts over from the index).
    func runRound() async throws {
        var round: BlastRadiusRound?
        do {
            try await sealClosedVolumes()
            if let deadAfter = config.deadAfter { try await declareUnansweredNodesDead(after: deadAfter) }
            var history = try await index.destructiveHistory(windowSeconds: config.blastRadius.windowSeconds)
            history.steps["rereplicate"] = try await index.rereplicationSteps(windowSeconds: config.blastRadius.windowSeconds)
            round = BlastRadiusRound(cap: config.blastRadius, history: history)
            // A dead node's volumes first: they are short of R, and never wait
            // behind the repair queue (whose copies may name that node).
            try await rereplicateWhatRepairsLeftShort()
            try await rereplicate(round: &round!)
            // A bounded number of repairs per round, each bounded in time, so that
            // trash, unlink and drain work keeps moving behind a long queue of
            // repairs. A repair the cap refuses goes back to the queue and is
            // skipped for this round.
            var deferred: [Int64] = []
            for _ in 0..<8 {
                guard let request = try await index.claimRepair(excluding: deferred), !Task.isShuttingDownGracefully else { break }
                if await !execute(request, round: &round!) { deferred.append(request.id) }
            }
            if let threshold = config.gcThreshold { try await collectGarbage(threshold: threshold, round: &round!) }
            try await drainNodes(round: &round!)
            try await executeTrashInstructions(round: &round!)
            try await unlinkInspectedTrash(round: &round!)
        } catch {
            if let round { await report(round, completed: false) }
            throw error
        }
        await report(round!, completed: true)
    }

    func node(_ record: NodeRecord) -> NodeClient {
        NodeClient(address: record.address, token: config.nodeToken)
    }

    /// Seals every replica of each closed volume; the volume is sealed once all are.
    func sealClosedVolumes() async throws {
        for volume in try await index.volumes(inState: "closed") {
            var all = true
            for replica in try await index.replicas(of: volume.id) where replica.state == "live" {
                // A dead node's replica is marked lost (then the rest seal); never waited on.
                guard Self.sourceNodeStates.contains(replica.node.state) else {
                    all = false
                    continue
                }
                do {
                    try await node(replica.node).seal(volume: UInt64(volume.id))
                } catch {
                    all = false
                    logger.warning("cannot seal replica yet", metadata: ["vigil.volume": "\(volume.id)", "vigil.node": "\(replica.node.name)", "vigil.error": "\(error)"])
                }
            }
            if all {
                _ = try await index.setVolumeState(volume.id, from: ["closed"], to: "sealed")
                logger.info("sealed volume", metadata: ["vigil.volume": "\(volume.id)"])
            }
        }
    }
}

import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Synchronization
import VigilCore
import VigilNodeClient
import VigilPostgres

/// The zone master: seals volumes that stopped taking writes and executes the
/// repair queue. Safe to kill at any point: every step is re-derived from the
/// index on the next round, and an extent is replaced only by one verified clean.
public final class Master: Service, Sendable {
    public let config: MasterConfig
    let index: BlockIndex
    let logger: Logger
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

    public init(config: MasterConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        index = BlockIndex(pool: PostgresPool(url: config.databaseURL, size: 4))
        try FileManager.default.createDirectory(atPath: config.workDirectory, withIntermediateDirectories: true)
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await runOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.config.interval) }
        }
    }

    /// One round: seal closed volumes, re-replicate dead nodes' volumes, work
    /// through the repair queue, GC, drain, trash and unlink — every destructive step within the blast-radius cap.
    public func runOnce() async {
        var round: BlastRadiusRound?
        var completed = false
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
            completed = true
        } catch {
            logger.error("master round failed; retrying next round", metadata: ["vigil.error": "\(error)"])
        }
        if let round { await report(round, completed: completed) }
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

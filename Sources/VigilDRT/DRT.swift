import Foundation
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres

/// Disaster-recovery testing: secretly injects a seeded mix of faults into every
/// zone of a running local cluster (optionally under load), waits (bounded) for
/// the verifier that owns each one to name it exactly, asserts the repair of
/// every repairable one, then measures precision (findings no fault explains)
/// and loss (DRT's own blocks that no longer read back).
public final class DRT {
    public struct Options: Sendable {
        /// Faults per seed.
        public var faults = 13
        public var seeds: [UInt64] = [1]
        public var classes = FaultClass.allCases
        public var timeout: Duration = .seconds(180)
        public var repairTimeout: Duration = .seconds(180)
        public var underLoad = false
        public init() {}
    }

    struct Injected {
        var seed: UInt64
        var fault: FaultClass
        var target: String
        var detection: Detection
        var repair: RepairCheck?
        var injectedAt: Double = 0
        /// Puts back what no daemon repairs, once the fault is detected.
        var undo: (() async throws -> String)?
        var report: FaultReport? = nil
    }

    /// How DRT sees that the cluster repaired a fault.
    enum RepairCheck {
        /// The node's replica of the volume is live again and its file verifies.
        case replica(zone: String, volume: Int64, node: Int)
        /// Every volume that had a replica on the node is back at R elsewhere.
        case nodeRetired(zone: String, node: Int, volumes: [Int64])
    }

    struct ZoneContext {
        var zone: ClusterFile.Zone
        var index: BlockIndex
    }

    var cluster: ClusterFile
    let clusterPath: String?
    let zones: [ZoneContext]
    var rng = SeededGenerator(seed: 1)
    /// "zone/volume" damaged by a fault of the current seed.
    var usedVolumes = Set<String>()
    var usedKeys = Set<BlockKey>()
    var journalKeys: [String: [BlockKey]] = [:]
    /// Per zone, the blocks DRT wrote and expects to read back at the end.
    var written: [String: [BlockKey]] = [:]
    /// Blocks a fault destroys on every replica on purpose: not counted as lost.
    var destroyed = Set<BlockKey>()
    /// "zone/volume" with a block destroyed on every replica: no verified copy
    /// exists, so no re-replication can bring it back to R.
    var destroyedVolumes = Set<String>()
    /// Nodes faults must not touch (a drain under load, a lost node).
    var excludedNodes = Set<String>()
    /// "zone/node" restarted with a wrong credential and not yet given its own back.
    var fencedNodes = Set<String>()
    /// The foreground load of `--under-load`.
    var load: LoadDriver?
    let log: (String) -> Void
    /// Writes blocks through the frontends with this token (the write role is enough).
    let frontendToken: String?

    /// `frontendToken`: default the cluster file's write token. `clusterPath`:
    /// where the cluster file lives, so restarted processes are recorded.
    public init(cluster: ClusterFile, clusterPath: String? = nil, frontendToken: String? = nil, seed: UInt64 = 1, log: @escaping (String) -> Void) {
        self.cluster = cluster
        self.clusterPath = clusterPath
        self.frontendToken = frontendToken ?? cluster.frontendTokens?.write
        zones = cluster.zones.map { ZoneContext(zone: $0, index: BlockIndex(pool: PostgresPool(url: $0.database, size: 2))) }
        rng = SeededGenerator(seed: seed)
        self.log = log
    }

    public func run(_ options: Options) async throws -> DRTReport {
        let runStart = try await databaseNow(zones[0].zone.database)
        load = options.underLoad ? try await startLoad() : nil
        var all: [Injected] = []
        var wantsNodeLost = false
        for seed in options.seeds {
            rng = SeededGenerator(seed: seed)
            usedVolumes = []
            var plan = (0..<options.faults).map { options.classes[$0 % options.classes.count] }
            wantsNodeLost = wantsNodeLost || plan.contains(.nodeLost)
            plan.removeAll { $0 == .nodeLost }
            plan.shuffle(using: &rng)
            let placed = plan.enumerated().map { (fault: $0.element, zone: $0.offset % zones.count, open: $0.element.canHitOpenExtent && $0.offset % 4 == 3) }
            try await prepare(placed.map { ($0.fault, $0.zone) })
            var batch: [Injected] = []
            // A node restarted with a wrong credential leaves its zone short of
            // writable replicas until DRT undoes it, so later injections that
            // write through that zone's frontend would get 503: fence nodes last.
            let fencesLast = placed.filter { $0.fault != .wrongCredential } + placed.filter { $0.fault == .wrongCredential }
            for item in fencesLast {
                let now = try await databaseNow(zones[item.zone].zone.database)
                var injected = try await inject(item.fault, zone: item.zone, open: item.open, seed: seed)
                injected.injectedAt = now
                log("seed \(seed): injected \(item.fault.rawValue): \(injected.target)")
                batch.append(injected)
            }
            try await settle(&batch, options)
            all += batch
        }
        if wantsNodeLost, let seed = options.seeds.last {
            let now = try await databaseNow(zones[0].zone.database)
            var lostNode = try await injectNodeLost(seed: seed)
            lostNode.injectedAt = now
            var batch = [lostNode]
            try await settle(&batch, options)
            all += batch
        }
        let loadCounts = await load?.stop() ?? [:]
        if let load { written.merge(load.survivors()) { $0 + $1 } }
        let lost = try await countLost()
        let (explained, unexplained) = try await precision(since: runStart, faults: all)
        return DRTReport(seeds: options.seeds, underLoad: options.underLoad, faults: all.map { $0.report! }, explained: explained,
                         unexplained: unexplained, lost: lost, load: loadCounts)
    }

    /// Detection (and DRT undoing what no daemon repairs), then the cluster's repairs.
    func settle(_ batch: inout [Injected], _ options: Options) async throws {
        try await waitForDetection(&batch, timeout: options.timeout)
        try await waitForRepairs(&batch, timeout: options.repairTimeout)
    }

    func databaseNow(_ url: String) async throws -> Double {
        try await PostgresConnection.connect(url: url).query("SELECT extract(epoch FROM now())::float8").float64(0, 0)
    }
}

extension DRT {
    /// A client of a zone's frontend, sending DRT's token.
    func frontendClient(_ zone: ClusterFile.Zone) -> FrontendClient {
        FrontendClient(address: zone.frontend, token: frontendToken)
    }
}

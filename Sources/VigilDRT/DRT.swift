import Foundation
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres

/// Disaster-recovery testing: secretly injects a seeded mix of faults into a
/// running local cluster, waits (bounded) for the verifiers to catch each one,
/// and reports class, target, verifier, finding, time to detect, and repair.
public final class DRT {
    public struct Options: Sendable {
        public var faults = 13
        public var seed: UInt64 = 1
        public var classes = FaultClass.allCases
        public var timeout: Duration = .seconds(180)
        public init() {}
    }

    struct Injected {
        var fault: FaultClass
        var target: String
        var detection: Detection
        /// (volume, node) whose repair counts as the fault repaired.
        var repair: (volume: Int64, node: Int)?
        var injectedAt: Double
        var restore: (volume: Int64, node: ClusterFile.Node)?
        var report: FaultReport? = nil
    }

    let cluster: ClusterFile
    let zone: ClusterFile.Zone
    let index: BlockIndex
    var rng: SeededGenerator
    var usedVolumes = Set<Int64>()
    var usedKeys = Set<BlockKey>()
    var journalKeys: [BlockKey] = []
    let log: (String) -> Void
    /// Writes blocks through the frontends with this token (the write role is enough).
    let frontendToken: String?

    /// `frontendToken`: default the cluster file's write token.
    public init(cluster: ClusterFile, frontendToken: String? = nil, seed: UInt64, log: @escaping (String) -> Void) {
        self.cluster = cluster
        self.frontendToken = frontendToken ?? cluster.frontendTokens?.write
        zone = cluster.zones[0]
        index = BlockIndex(pool: PostgresPool(url: cluster.zones[0].database, size: 2))
        rng = SeededGenerator(seed: seed)
        self.log = log
    }

    public func run(_ options: Options) async throws -> DRTReport {
        var plan: [FaultClass] = (0..<options.faults).map { options.classes[$0 % options.classes.count] }
        plan.shuffle(using: &rng)
        try await prepare(extentFaults: plan.filter(\.damagesExtent).count + plan.filter { $0 == .indexWrongVolume }.count,
                          journalFaults: plan.filter { $0 == .indexRowDeleted || $0 == .blockMissingFromZone }.count)
        let db = try await PostgresConnection.connect(url: zone.database)
        var injected: [Injected] = []
        for fault in plan {
            let now = try await db.query("SELECT extract(epoch FROM now())::float8").float64(0, 0)
            var item = try await inject(fault)
            item.injectedAt = now
            log("injected \(fault.rawValue): \(item.target)")
            injected.append(item)
        }
        try await waitForDetection(&injected, timeout: options.timeout)
        try await checkRepairs(&injected)
        try await cleanUp(&injected)
        let reports = injected.map { $0.report! }
        return DRTReport(injected: reports.count, detected: reports.filter(\.detected).count, seed: options.seed, faults: reports)
    }
}

extension DRT {
    /// A client of a zone's frontend, sending DRT's token.
    func frontendClient(_ zone: ClusterFile.Zone) -> FrontendClient {
        FrontendClient(address: zone.frontend, token: frontendToken)
    }
}

import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VigilCore
import VigilNodeClient
import VigilPostgres

/// A write's place: a volume and the nodes holding its replicas.
struct VolumeLease: Sendable {
    var volume: Int64
    var replicas: [NodeRecord]
}

/// Hands out the open volume writes go to. A write only picks the open volume
/// or waits, at most `leaseTimeout`, for the next; opening volumes (R nodes, an
/// extent on each) and sealing full ones once their last write finishes are
/// this service's background work, never a client's request path. One
/// frontend owns the volumes it opens. Decisions: `VolumeAllocatorState`.
final class VolumeAllocator: Service, Sendable {
    typealias Waiter = CheckedContinuation<VolumeLease, any Error>
    typealias State = VolumeAllocatorState<Waiter>

    let config: FrontendConfig
    let index: BlockIndex
    let logger: Logger
    let leaseTimeout: Duration
    private let state: Mutex<State>
    /// Nodes that failed a write recently, kept out of new volumes for a while.
    let suspects = Mutex<[Int: ContinuousClock.Instant]>([:])
    /// The last failure to open a volume, until one opens (`VolumeAllocator+Health.swift`).
    let openFailure = Mutex<(at: ContinuousClock.Instant, error: String)?>(nil)
    private let doorbell = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))

    init(config: FrontendConfig, index: BlockIndex, logger: Logger, leaseTimeout: Duration = .seconds(30)) {
        self.config = config
        self.index = index
        self.logger = logger
        self.leaseTimeout = leaseTimeout
        state = Mutex(State(targetBytes: config.volumeTargetBytes))
    }

    func lease(bytes: Int) async throws -> VolumeLease {
        if let lease = state.withLock({ $0.lease(bytes: bytes) }) { return lease }
        let id = state.withLock { $0.reserve() }
        return try await withThrowingTaskGroup(of: VolumeLease?.self) { group in
            group.addTask { try await self.waitInLine(id, bytes: bytes) }
            group.addTask {
                try await Task.sleep(for: self.leaseTimeout)
                return nil
            }
            var outcome: Result<VolumeLease, any Error>?
            while let next = await group.nextResult() {
                switch next {
                case .success(let lease?):
                    outcome = .success(lease)  // a place always wins: its in-flight count is released by the caller
                    group.cancelAll()
                case .success(nil):
                    state.withLock { $0.abandon(id) }?.resume(throwing: FrontendError.unavailable("no open volume within \(leaseTimeout)"))
                case .failure(let error):
                    if outcome == nil { outcome = .failure(error) }
                    group.cancelAll()
                }
            }
            return try outcome!.get()
        }
    }

    private func waitInLine(_ id: UInt64, bytes: Int) async throws -> VolumeLease {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                switch state.withLock({ $0.enqueue(id, bytes: bytes, waiter) }) {
                case .granted(let lease): waiter.resume(returning: lease)
                case .queued: doorbell.continuation.yield()
                case .abandoned: waiter.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            state.withLock { $0.abandon(id) }?.resume(throwing: CancellationError())
        }
    }

    /// The write finished (all replicas acknowledged); a full volume's last one queues its seal.
    func release(_ lease: VolumeLease) {
        if state.withLock({ $0.release(lease) }) { doorbell.continuation.yield() }
    }

    /// A replica write failed: the volume takes no more writes; its nodes
    /// that failed are avoided for a while. The master seals it later.
    func fail(_ lease: VolumeLease, failedNodes: [Int]) async {
        suspect(failedNodes)
        state.withLock { $0.fail(lease) }
        _ = try? await index.setVolumeState(lease.volume, from: ["open"], to: "closed")
        logger.warning("volume stopped taking writes after a replica write failed", metadata: [
            "vigil.volume": "\(lease.volume)", "vigil.failed_nodes": "\(failedNodes)",
        ])
    }

    func suspect(_ nodes: [Int]) {
        suspects.withLock { for node in nodes { $0[node] = .now + .seconds(30) } }
    }

    /// Opens volumes for waiting writes and seals full ones, until shutdown;
    /// seals still due are done before it returns.
    func run() async throws {
        for await _ in doorbell.stream.cancelOnGracefulShutdown() { await doJobs() }
        await doJobs()
    }

    private func doJobs() async {
        while let job = state.withLock({ $0.nextJob() }) {
            switch job {
            case .seal(let lease):
                await seal(lease)
            case .open:
                do {
                    let lease = try await openVolume()
                    openFailure.withLock { $0 = nil }
                    for served in state.withLock({ $0.opened(lease) }) { served.waiter.resume(returning: served.lease) }
                } catch {
                    openFailure.withLock { $0 = (.now, "\(error)") }
                    for waiter in state.withLock({ $0.openFailed() }) { waiter.resume(throwing: error) }
                }
            }
        }
    }
}

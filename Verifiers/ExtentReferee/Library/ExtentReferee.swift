import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VigilCore
import VigilPostgres
import VigilTelemetry
import VigilVerifier

/// Watches a node's `extents/` and `trash/` with inotify and checks every move
/// and unlink of an extent against the instructions recorded in the index.
/// Reconciles the directories with the index at start and after an inotify
/// overflow, to catch what happened while it was not watching.
public final class ExtentReferee: Service, Sendable {
    public let config: ExtentRefereeConfig
    let index: BlockIndex
    let ledger: VerifierLedger
    let logger: Logger
    let metrics: VerifierMetrics
    private let seen = Mutex(0)
    /// Why the last reconcile or judgement failed, until one succeeds.
    private let lastError = Mutex<String?>(nil)

    public init(config: ExtentRefereeConfig, logger: Logger) {
        self.config = config
        let pool = PostgresPool(url: config.databaseURL, size: 2)
        index = BlockIndex(pool: pool)
        ledger = VerifierLedger(pool: pool, verifier: "extent-referee", scope: config.scope)
        self.logger = logger
        metrics = VerifierMetrics(verifier: "extent-referee", scope: config.scope)
    }

    /// Unhealthy while the index cannot be reached to judge or reconcile.
    public func health() -> HealthReport {
        let judged = "\(transitionsSeen) transitions judged"
        if let error = lastError.withLock({ $0 }) { return HealthReport(healthy: false, detail: "\(judged); cannot judge: \(error)") }
        return HealthReport(healthy: true, detail: "watching; \(judged)")
    }

    func noteResult(_ error: (any Error)?) {
        lastError.withLock { $0 = error.map { "\($0)" } }
        if error != nil { metrics.errors.increment() }
    }

    /// Transitions judged since start (for health).
    public var transitionsSeen: Int { seen.withLock { $0 } }

    public func run() async throws {
        // The node may not have made its directories yet.
        for directory in ["extents", "trash"] {
            try FileManager.default.createDirectory(atPath: "\(config.dataDirectory)/\(directory)", withIntermediateDirectories: true)
        }
        let watcher = try InotifyWatcher(directories: [
            "extents": config.dataDirectory + "/extents", "trash": config.dataDirectory + "/trash",
        ])
        try await reconcileUntilDone()
        let (stream, continuation) = AsyncStream<[DirectoryEvent]>.makeStream()
        let stop = Atomic<Bool>(false)
        let thread = Thread { [watcher, logger] in
            while !stop.load(ordering: .acquiring) {
                do {
                    let events = try watcher.next(timeoutMs: 200)
                    continuation.yield(events)  // empty batches let pending move halves expire
                } catch {
                    logger.error("inotify read failed", metadata: [LogKey.error: "\(error)"])
                    continuation.finish()
                    return
                }
            }
            continuation.finish()
        }
        thread.name = "vigil.referee.inotify"
        thread.start()
        var pairing = TransitionPairing()
        var lastReconcile = ContinuousClock.now
        await withGracefulShutdownHandler {
            for await batch in stream {
                for transition in pairing.feed(batch) {
                    await judgeRetrying(transition)
                }
                if ContinuousClock.now - lastReconcile >= config.reconcileInterval {
                    await judgeRetrying(.overflow)  // a periodic reconcile, as after an overflow
                    lastReconcile = .now
                }
            }
        } onGracefulShutdown: {
            stop.store(true, ordering: .releasing)
        }
    }

    private func reconcileUntilDone() async throws {
        while true {
            do {
                try await reconcile()
                noteResult(nil)
                return
            } catch {
                noteResult(error)
                logger.error("reconcile failed; retrying", metadata: [LogKey.error: "\(error)"])
                try await Task.sleep(for: .seconds(2))
            }
        }
    }

    private func judgeRetrying(_ transition: Transition) async {
        if transition == .overflow { logger.info("reconciling with the index") } else { seen.withLock { $0 += 1 } }
        for attempt in 1...5 {
            do {
                if transition == .overflow {
                    try await reconcile()
                } else {
                    try await judge(transition)
                }
                noteResult(nil)
                return
            } catch {
                noteResult(error)
                logger.error("could not judge a transition", metadata: [LogKey.error: "\(error)", "vigil.attempt": "\(attempt)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}

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
/// overflow, to catch what happened while it was not watching. Two lanes
/// under one bookkeeping: the event stream and the reconcile.
public final class ExtentReferee: Service, Sendable {
    public let config: ExtentRefereeConfig
    let index: BlockIndex
    let book: VerifierBookkeeping
    let logger: Logger
    private let seen = Mutex(0)

    enum Lane: String { case events, reconcile }

    public init(config: ExtentRefereeConfig, logger: Logger) {
        self.config = config
        let pool = PostgresPool(url: config.databaseURL, size: 2)
        index = BlockIndex(pool: pool)
        book = VerifierBookkeeping(
            ledger: VerifierLedger(pool: pool, verifier: "extent-referee", scope: config.scope),
            retry: RetryBackoff(first: .seconds(1), longest: .seconds(2), afterPermanent: .seconds(2)), logger: logger)
        self.logger = logger
    }

    var ledger: VerifierLedger { book.ledger }
    var metrics: VerifierMetrics { book.metrics }

    /// Unhealthy while the index cannot be reached to judge or reconcile.
    public func health() -> HealthReport {
        let lanes = book.health()
        let judged = "\(transitionsSeen) transitions judged"
        return HealthReport(healthy: lanes.healthy, detail: lanes.healthy ? "watching; \(judged)" : "\(judged); cannot judge: \(lanes.detail)")
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
        // The instruction watermark when each name was first seen arriving in
        // extents/: an appearance is judged by the instructions recorded before
        // then (by id, so no clock's skew matters), not by later ones.
        var arrivals: [String: (watermark: Int64?, at: ContinuousClock.Instant)] = [:]
        await withGracefulShutdownHandler {
            for await batch in stream {
                let now = ContinuousClock.now
                let arrived = batch.filter { $0.directory == "extents" && ($0.kind == .created || $0.kind == .movedTo) }.map(\.name)
                if !arrived.isEmpty {
                    let mark = await arrivalWatermark()
                    for name in arrived where arrivals[name] == nil { arrivals[name] = (mark, now) }
                }
                for transition in pairing.feed(batch) {
                    await judgeRetrying(transition, asOf: transition.arrivedName.flatMap { arrivals.removeValue(forKey: $0)?.watermark })
                }
                arrivals = arrivals.filter { now - $0.value.at < .seconds(60) }  // a creation that became no transition
                if ContinuousClock.now - lastReconcile >= config.reconcileInterval {
                    await judgeRetrying(.overflow)  // a periodic reconcile, as after an overflow
                    lastReconcile = .now
                }
            }
        } onGracefulShutdown: {
            stop.store(true, ordering: .releasing)
        }
    }

    /// The first reconcile: retried until it goes through (the index may not be up yet).
    private func reconcileUntilDone() async throws {
        let lane = Lane.reconcile.rawValue
        while true {
            do {
                try await reconcile()
                book.succeeded(lane: lane)
                return
            } catch {
                try await Task.sleep(for: max(book.failed(error, lane: lane), .seconds(2)))
            }
        }
    }

    /// The instruction watermark for arrivals just seen; nil (judged by the
    /// newest instructions when the verdict is made) if the index cannot be read.
    private func arrivalWatermark() async -> Int64? {
        do {
            return try await index.instructionWatermark()
        } catch {
            logger.warning("cannot read the instruction watermark for arrivals in extents/", metadata: [LogKey.error: "\(error)"])
            return nil
        }
    }

    /// Judges a transition (or reconciles), a few times while its failures are
    /// retriable; a failure that is not is recorded and the next event goes on.
    private func judgeRetrying(_ transition: Transition, asOf watermark: Int64? = nil) async {
        let lane = (transition == .overflow ? Lane.reconcile : Lane.events).rawValue
        if transition == .overflow { logger.info("reconciling with the index") } else { seen.withLock { $0 += 1 } }
        for _ in 1...5 {
            do {
                if transition == .overflow {
                    try await reconcile()
                } else {
                    try await judge(transition, asOf: watermark)
                }
                book.succeeded(lane: lane)
                return
            } catch {
                let delay = book.failed(error, lane: lane)
                if StepFailure(error) == .permanent { return }
                try? await Task.sleep(for: delay)
            }
        }
    }
}

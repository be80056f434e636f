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
/// overflow, to catch what happened while it was not watching. Three lanes
/// under one bookkeeping: the watch, its events' judgments and the reconciles.
public final class ExtentReferee: Service, Sendable {
    public let config: ExtentRefereeConfig
    let index: BlockIndex
    let book: VerifierBookkeeping
    let logger: Logger
    private let seen = Mutex(0)

    /// The watch (inotify, one round per batch), the judgments of its events,
    /// and the reconciles: each shows its own failures on `/healthz`.
    enum Lane: String { case watch, events, reconcile }

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

    /// The watch lane: judges each batch of inotify events, reconciling at
    /// start, after an overflow and every `reconcileInterval` (judgments and
    /// reconciles count on lanes of their own, each failure shown until one of
    /// its kind goes through). A failed watch is stopped, and the next round,
    /// after the backoff, watches again and reconciles what it missed meanwhile.
    public func run() async throws {
        var session: EventSession?
        await book.runLane(Lane.watch.rawValue, overdueAfter: config.roundOverdueAfter) {
            do {
                if session == nil { session = EventSession(watch: try await DirectoryWatch(dataDirectory: config.dataDirectory)) }
                return try await round(&session!)
            } catch {
                session?.watch.stop()
                session = nil
                throw error
            }
        }
        session?.watch.stop()
    }

    /// A watch and what the event lane keeps while it lasts.
    struct EventSession {
        let watch: DirectoryWatch
        var batches: AsyncThrowingStream<[DirectoryEvent], any Error>.Iterator
        var pairing = TransitionPairing()
        /// Not yet reconciled since the watch started: what happened while nobody watched.
        var reconciled = false
        var lastReconcile = ContinuousClock.now
        /// The instruction watermark when each name was first seen arriving in
        /// extents/: an appearance is judged by the instructions recorded before
        /// then (by id, so no clock's skew matters), not by later ones.
        var arrivals: [String: (watermark: Int64?, at: ContinuousClock.Instant)] = [:]

        init(watch: DirectoryWatch) {
            self.watch = watch
            batches = watch.batches.makeAsyncIterator()
        }
    }

    /// One batch of events (at most 200 ms of them), after the session's first reconcile.
    private func round(_ s: inout EventSession) async throws -> Duration {
        if !s.reconciled {
            // Events meanwhile wait in the watch; the first reconcile is retried until it goes through.
            logger.info("reconciling with the index")
            s.reconciled = await book.attempt(lane: Lane.reconcile.rawValue, times: 5) { try await reconcile() }
            s.lastReconcile = .now
            return s.reconciled ? .zero : .seconds(2)
        }
        guard let batch = try await s.batches.next() else { throw CancellationError() }  // ends only when stopped
        let now = ContinuousClock.now
        let arrived = batch.filter { $0.directory == "extents" && ($0.kind == .created || $0.kind == .movedTo) }.map(\.name)
        if !arrived.isEmpty {
            let mark = await arrivalWatermark()
            for name in arrived where s.arrivals[name] == nil { s.arrivals[name] = (mark, now) }
        }
        for transition in s.pairing.feed(batch) {
            await judgeRetrying(transition, asOf: transition.arrivedName.flatMap { s.arrivals.removeValue(forKey: $0)?.watermark })
        }
        s.arrivals = s.arrivals.filter { now - $0.value.at < .seconds(60) }  // a creation that became no transition
        if ContinuousClock.now - s.lastReconcile >= config.reconcileInterval {
            await judgeRetrying(.overflow)  // a periodic reconcile, as after an overflow
            s.lastReconcile = .now
        }
        return .zero
    }

    /// The instruction watermark for arrivals just seen; nil (judged by the
    /// newest instructions when the verdict is made) if the index cannot be read.
    private func arrivalWatermark() async -> Int64? {
        do {
            return try await index.instructionWatermark()
        } catch {
            if !Task.isCancelled {
                logger.warning("cannot read the instruction watermark for arrivals in extents/", metadata: [LogKey.error: "\(error)"])
            }
            return nil
        }
    }

    /// Judges a transition (or reconciles), a few times while its failures are
    /// retriable; a failure that is not is recorded and the next event goes on.
    private func judgeRetrying(_ transition: Transition, asOf watermark: Int64? = nil) async {
        if transition == .overflow { logger.info("reconciling with the index") } else { seen.withLock { $0 += 1 } }
        await book.attempt(lane: (transition == .overflow ? Lane.reconcile : Lane.events).rawValue, times: 5) {
            if transition == .overflow {
                try await reconcile()
            } else {
                try await judge(transition, asOf: watermark)
            }
        }
    }
}

import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VigilTelemetry

/// Runs one verifier's sweep: passes one step at a time, the typed cursor
/// stored in the runtime's one encoding after every step (a kill -9 redoes at
/// most one step), findings deduplicated, repairs requested, rate-limited,
/// failures retried by kind, with progress and ETA in metrics and health.
/// The sweep is one lane of the daemon's `VerifierBookkeeping`.
public final class VerifierRunner<Check: SweepCheck>: Service, Sendable {
    public struct Settings: Sendable {
        /// Pause between the end of one pass and the start of the next.
        public var passInterval: Duration
        /// Pause after a retriable failure (database down, …) before trying the
        /// step again; it doubles with each consecutive failure up to `longestRetryDelay`.
        public var retryDelay: Duration = .seconds(5)
        public var longestRetryDelay: Duration = .seconds(20)
        /// Pause after a failure whose error says retrying cannot help (a
        /// permission refused, …) before the step is tried again.
        public var permanentFailureDelay: Duration = .seconds(60)
        /// How long a full pass is sized to take (the rate limit's target); zero
        /// when passes are not rate-sized. With `passInterval` it is the expected
        /// period between complete passes that the overdue alert measures against.
        public var sweepPeriod: Duration = .zero
        /// When set (and `sweepPeriod` is), passes are paced to their deadline
        /// (`DeadlinePacing`): after every step the rate limit is re-derived
        /// from the work left and the time left before the pass is
        /// `sweepPeriod` old, never below this floor (units per second), never
        /// above `maxRate`. A rate computed once at start would stay at the
        /// floor forever on a node that started empty.
        public var sizedRateFloor: Double?
        /// The most a paced pass may take (units per second); nil: no cap.
        public var maxRate: Double?
        /// How often a paced pass re-estimates its size (the data may grow under it).
        public var reestimateInterval: Duration = .seconds(60)

        public init(passInterval: Duration, sweepPeriod: Duration = .zero) {
            self.passInterval = passInterval
            self.sweepPeriod = sweepPeriod
        }

        /// The pacing these settings ask for; nil when passes are not paced.
        public var pacing: DeadlinePacing? {
            guard let floor = sizedRateFloor, sweepPeriod > .zero else { return nil }
            return DeadlinePacing(period: sweepPeriod, floor: floor, cap: maxRate)
        }

        /// The backoff these settings give a lane.
        public var retry: RetryBackoff {
            RetryBackoff(first: retryDelay, longest: max(retryDelay, longestRetryDelay), afterPermanent: permanentFailureDelay)
        }
    }

    /// The sweep's lane name in the bookkeeping.
    public static var lane: String { "sweep" }

    public let check: Check
    public let book: VerifierBookkeeping
    public let limiter: SharedRateLimiter
    let settings: Settings
    let gauges: LedgerGauges
    let pacingGauges: PacingGauges?
    let status = Mutex(Status())

    struct Status {
        var progress = PassProgress(total: 0)
        var passID: Int64?
        var passesCompleted = 0
        var passTimesKnown = false
        var findingKindsShown: Set<[String]> = []
        var ledgerGaugesRefreshed: ContinuousClock.Instant?
        /// The pacing plan of the pass, as of its last step (nil: not paced).
        var plan: DeadlinePacing.Plan?
    }

    public var ledger: VerifierLedger { book.ledger }
    var logger: Logger { book.logger }
    var metrics: VerifierMetrics { book.metrics }

    public convenience init(check: Check, ledger: VerifierLedger, limiter: SharedRateLimiter, settings: Settings, logger: Logger) {
        self.init(check: check, book: VerifierBookkeeping(ledger: ledger, retry: settings.retry, logger: logger), limiter: limiter, settings: settings)
    }

    /// A sweep recording into `book`, which the daemon's other lanes share.
    public init(check: Check, book: VerifierBookkeeping, limiter: SharedRateLimiter, settings: Settings) {
        self.check = check
        self.book = book
        self.limiter = limiter
        self.settings = settings
        gauges = LedgerGauges(verifier: book.ledger.verifier, scope: book.ledger.scope)
        pacingGauges = settings.pacing.map { _ in PacingGauges(verifier: book.ledger.verifier, scope: book.ledger.scope) }
        let period = settings.sweepPeriod + settings.passInterval
        gauges.expectedPeriod.record(Double(period.components.seconds) + Double(period.components.attoseconds) / 1e18)
        showProgress()
    }

    /// Passes completed by this process (for tests and status).
    public var passesCompleted: Int { status.withLock { $0.passesCompleted } }

    /// The running pass's pacing plan as of its last step; nil when not paced.
    public var pacePlan: DeadlinePacing.Plan? { status.withLock { $0.plan } }

    /// The daemon's health: this sweep's pass and ETA, and every lane's failures and conditions.
    public func health() -> HealthReport { book.health() }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if !status.withLock({ $0.passTimesKnown }) { try await recordPassTimes() }
                try await runPass()
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.settings.passInterval) }
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                let delay = book.failed(error, lane: Self.lane)
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
            }
        }
    }

    /// The rate a pass of `units` needs at its start to finish within the
    /// sweep period, never below `floor`; nil when passes are not rate-sized.
    public static func sizedRate(units: Double, sweepPeriod: Duration, floor: Double?) -> Double? {
        guard let floor, sweepPeriod > .zero else { return nil }
        return DeadlinePacing(period: sweepPeriod, floor: floor).plan(total: units, done: 0, elapsed: .zero).rate
    }

    func showProgress() {
        let line = status.withLock { s in
            let eta = s.progress.etaSeconds.map { String(format: "%.0fs", $0) } ?? "unknown"
            return "pass \(s.passID.map(String.init) ?? "-") \(String(format: "%.1f", s.progress.ratio * 100))% eta \(eta)"
        }
        book.setSummary(line, lane: Self.lane)
    }
}

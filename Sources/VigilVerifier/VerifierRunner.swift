import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VigilTelemetry

/// Runs one verifier: passes one step at a time, the cursor persisted after
/// every step (a kill -9 redoes at most one step), findings deduplicated,
/// repairs requested, rate-limited, with progress and ETA in metrics and health.
public final class VerifierRunner<Check: VerifierCheck>: Service, Sendable {
    public struct Settings: Sendable {
        /// Pause between the end of one pass and the start of the next.
        public var passInterval: Duration
        /// Pause after an error (database down, …) before trying again.
        public var retryDelay: Duration = .seconds(5)
        /// How long a full pass is sized to take (the rate limit's target); zero
        /// when passes are not rate-sized. With `passInterval` it is the expected
        /// period between complete passes that the overdue alert measures against.
        public var sweepPeriod: Duration = .zero
        /// When set (and `sweepPeriod` is), the rate limit is re-sized at the
        /// start of every pass from that pass's estimate: the work divided by
        /// `sweepPeriod`, never below this floor (units per second). A rate
        /// computed once at start would stay at the floor forever on a node
        /// that started empty.
        public var sizedRateFloor: Double?

        public init(passInterval: Duration, sweepPeriod: Duration = .zero) {
            self.passInterval = passInterval
            self.sweepPeriod = sweepPeriod
        }
    }

    public let check: Check
    public let ledger: VerifierLedger
    public let limiter: SharedRateLimiter
    private let settings: Settings
    private let logger: Logger
    private let metrics: VerifierMetrics
    private let gauges: LedgerGauges
    private let status = Mutex(Status())

    struct Status {
        var progress = PassProgress(total: 0)
        var passID: Int64?
        var lastError: String?
        var conditions: [String] = []
        var passesCompleted = 0
        var passTimesKnown = false
        var findingKindsShown: Set<[String]> = []
        var ledgerGaugesRefreshed: ContinuousClock.Instant?
    }

    public init(check: Check, ledger: VerifierLedger, limiter: SharedRateLimiter, settings: Settings, logger: Logger) {
        self.check = check
        self.ledger = ledger
        self.limiter = limiter
        self.settings = settings
        var logger = logger
        logger[metadataKey: LogKey.verifier] = "\(ledger.verifier)"
        logger[metadataKey: "vigil.scope"] = "\(ledger.scope)"
        self.logger = logger
        metrics = VerifierMetrics(verifier: ledger.verifier, scope: ledger.scope)
        gauges = LedgerGauges(verifier: ledger.verifier, scope: ledger.scope)
        let period = settings.sweepPeriod + settings.passInterval
        gauges.expectedPeriod.record(Double(period.components.seconds) + Double(period.components.attoseconds) / 1e18)
    }

    /// Passes completed by this process (for tests and status).
    public var passesCompleted: Int { status.withLock { $0.passesCompleted } }

    public func health() -> HealthReport {
        status.withLock { s in
            let eta = s.progress.etaSeconds.map { String(format: "%.0fs", $0) } ?? "unknown"
            let line = "pass \(s.passID.map(String.init) ?? "-") \(String(format: "%.1f", s.progress.ratio * 100))% eta \(eta)"
            if let error = s.lastError { return HealthReport(healthy: false, detail: "\(line); last error: \(error)") }
            if !s.conditions.isEmpty { return HealthReport(healthy: false, detail: "\(line); \(s.conditions.joined(separator: "; "))") }
            return HealthReport(healthy: true, detail: line)
        }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if !status.withLock({ $0.passTimesKnown }) { try await recordPassTimes() }
                try await runPass()
                status.withLock { $0.lastError = nil }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.settings.passInterval) }
            } catch {
                metrics.errors.increment()
                status.withLock { $0.lastError = "\(error)" }
                logger.error("verifier step failed; retrying", metadata: [LogKey.error: "\(error)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.settings.retryDelay) }
            }
        }
    }

    /// The rate a pass of this size needs to finish within the sweep period.
    func resizeRate(for estimate: PassEstimate) {
        guard let rate = Self.sizedRate(units: estimate.units, sweepPeriod: settings.sweepPeriod, floor: settings.sizedRateFloor) else { return }
        limiter.resize(rate: rate)
        logger.info("pass rate sized", metadata: ["vigil.rate_per_second": "\(Int(rate))", "vigil.pass_size": "\(Int(estimate.units))"])
    }

    /// `units` over the sweep period, never below `floor`; nil when passes are not rate-sized.
    public static func sizedRate(units: Double, sweepPeriod: Duration, floor: Double?) -> Double? {
        guard let floor, sweepPeriod > .zero else { return nil }
        let seconds = Double(sweepPeriod.components.seconds) + Double(sweepPeriod.components.attoseconds) / 1e18
        return max(floor, units / seconds)
    }

    /// Runs (or resumes) one pass to its end, or until shutdown.
    func runPass() async throws {
        var pass = try await ledger.startOrResumePass()
        let estimate = try await check.estimatePass()
        resizeRate(for: estimate)
        let done = Double(estimate.unit == .bytes ? pass.bytesChecked : pass.itemsChecked)
        status.withLock { s in
            s.passID = pass.id
            s.progress = PassProgress(total: estimate.units, done: done)
            s.progress.record(done: done, at: .now)
        }
        logger.info(pass.resumed ? "resuming pass" : "starting pass", metadata: [
            "vigil.pass": "\(pass.id)", "vigil.pass_size": "\(Int(estimate.units))",
        ])
        while !Task.isShuttingDownGracefully {
            let outcome = try await check.step(from: pass.cursor ?? [], limiter: limiter)
            try await record(outcome)
            await refreshLedgerGauges(force: outcome.passComplete)
            status.withLock { $0.lastError = nil; $0.conditions = outcome.unhealthy }
            pass.cursor = outcome.cursor
            pass.itemsChecked += Int64(outcome.items)
            pass.bytesChecked += Int64(outcome.bytes)
            if outcome.passComplete {
                try await ledger.complete(pass)
                metrics.passes.increment()
                metrics.progress.record(1)
                metrics.eta.record(0)
                metrics.lastComplete.record(Date().timeIntervalSince1970)
                status.withLock { $0.passesCompleted += 1; $0.progress.record(done: $0.progress.total, at: .now) }
                logger.info("pass complete", metadata: [
                    "vigil.pass": "\(pass.id)", "vigil.items": "\(pass.itemsChecked)", "vigil.bytes": "\(pass.bytesChecked)",
                ])
                return
            }
            try await ledger.save(pass)
            let units = Double(estimate.unit == .bytes ? pass.bytesChecked : pass.itemsChecked)
            let (ratio, eta) = status.withLock { s in
                s.progress.record(done: units, at: .now)
                return (s.progress.ratio, s.progress.etaSeconds)
            }
            metrics.progress.record(ratio)
            if let eta { metrics.eta.record(eta) }
        }
    }

    /// Seeds the pass-time gauges from the ledger, so a restarted verifier shows
    /// its scope's last complete pass (0: none yet) before it completes one.
    private func recordPassTimes() async throws {
        let times = try await gauges.passTimes(ledger.pool)
        gauges.firstStarted.record(times.firstStarted ?? Date().timeIntervalSince1970)
        metrics.lastComplete.record(times.lastComplete)
        status.withLock { $0.passTimesKnown = true }
        await refreshLedgerGauges(force: true)
    }

    /// Open findings and outstanding repairs from the ledger, at most every 5 s
    /// (a step may take milliseconds); a failure is logged, never fails the step.
    private func refreshLedgerGauges(force: Bool) async {
        let (due, shown) = status.withLock { s in
            (force || s.ledgerGaugesRefreshed.map { $0.duration(to: .now) >= .seconds(5) } ?? true, s.findingKindsShown)
        }
        guard due else { return }
        do {
            let now = try await gauges.refresh(ledger.pool, previous: shown)
            status.withLock { $0.findingKindsShown = now; $0.ledgerGaugesRefreshed = .now }
        } catch {
            logger.warning("cannot read open findings for metrics", metadata: [LogKey.error: "\(error)"])
        }
    }

    private func record(_ outcome: StepOutcome) async throws {
        metrics.items.increment(by: outcome.items)
        metrics.bytes.increment(by: outcome.bytes)
        if !outcome.unreachable.isEmpty {
            metrics.unreachable.increment(by: outcome.unreachable.count)
            logger.warning("peers unreachable; they are rechecked, never reported missing", metadata: ["vigil.peers": "\(outcome.unreachable)"])
        }
        let (new, resolved) = try await ledger.apply(outcome)
        if new > 0 {
            metrics.newFindings.increment(by: new)
            for finding in outcome.findings {
                logger.error("finding", metadata: ["vigil.kind": "\(finding.kind)", "vigil.subject": "\(finding.subject)", "vigil.severity": "\(finding.severity.rawValue)"])
            }
        }
        if resolved > 0 { logger.notice("findings resolved: observed clean", metadata: ["vigil.count": "\(resolved)"]) }
    }
}

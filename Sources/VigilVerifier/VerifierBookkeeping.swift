import Logging
import VigilTelemetry

/// What every lane of one verifier daemon shares: the ledger its findings go
/// to, one set of metrics, one health report, and failures sorted by kind.
/// A daemon's sweep (`VerifierRunner`) and its other lanes (the scrubber's
/// recent lane, …) record through the same bookkeeping, so the verifier's
/// metrics, logs and `/healthz` say the same thing whichever lane did the work.
public final class VerifierBookkeeping: Sendable {
    public let ledger: VerifierLedger
    public let metrics: VerifierMetrics
    public let logger: Logger
    public let board: LaneBoard
    let retry: RetryBackoff

    /// `retry`: how long a lane waits after failures (retriable ones back off
    /// from its `first`); `board`: where the daemon's lanes show their health.
    public init(ledger: VerifierLedger, retry: RetryBackoff, board: LaneBoard = LaneBoard(), logger: Logger) {
        self.ledger = ledger
        self.retry = retry
        self.board = board
        var logger = logger
        logger[metadataKey: LogKey.verifier] = "\(ledger.verifier)"
        logger[metadataKey: "vigil.scope"] = "\(ledger.scope)"
        self.logger = logger
        metrics = VerifierMetrics(verifier: ledger.verifier, scope: ledger.scope)
    }

    /// Records what a step of `lane` observed: counts, findings (logged, new
    /// ones counted), resolutions and repair requests in the ledger; its
    /// conditions become the lane's health until its next step.
    public func record(_ outcome: StepOutcome, lane: String) async throws {
        metrics.items.increment(by: outcome.items)
        metrics.bytes.increment(by: outcome.bytes)
        if !outcome.unreachable.isEmpty {
            metrics.unreachable.increment(by: outcome.unreachable.count)
            logger.warning("peers unreachable; they are rechecked, never reported missing", metadata: ["vigil.peers": "\(outcome.unreachable)"])
        }
        let (new, resolved) = try await ledger.apply(outcome)
        if !new.isEmpty {
            metrics.newFindings.increment(by: new.count)
            // Only a condition first seen now is logged, at its severity: one still
            // open is seen again every pass and is counted in the ledger, not the log.
            for finding in new {
                logger.log(level: finding.severity.logLevel, "finding", metadata: ["vigil.kind": "\(finding.kind)", "vigil.subject": "\(finding.subject)", "vigil.severity": "\(finding.severity.rawValue)"])
            }
        }
        if resolved > 0 { logger.notice("findings resolved: observed clean", metadata: ["vigil.count": "\(resolved)"]) }
        update(lane) { $0.conditions = outcome.unhealthy }
    }

    /// A step of `lane` went through: its error and its backoff are cleared.
    public func succeeded(lane: String) {
        update(lane) { $0.lastError = nil; $0.backoff.succeeded() }
    }

    /// A step of `lane` failed: counted, logged and shown in health by kind.
    /// Returns how long the lane waits before it retries the step; the lane
    /// goes on afterwards whatever the kind (a failure never stops the daemon).
    public func failed(_ error: any Error, lane: String) -> Duration {
        let kind = StepFailure(error)
        let delay = update(lane) { s in
            s.failures[kind, default: 0] += 1
            let delay = s.backoff.delay(after: kind)
            s.lastError = kind == .retriable ? "\(error) (retrying in \(delay))" : "\(error) (not retriable; next attempt in \(delay))"
            return delay
        }
        metrics.errors.increment()
        let metadata: Logger.Metadata = [LogKey.error: "\(error)", "vigil.lane": "\(lane)", "vigil.retry_in": "\(delay)"]
        if kind == .permanent {
            metrics.permanentErrors.increment()
            logger.error("verifier step failed and is not retriable; an operator must act", metadata: metadata)
        } else {
            logger.error("verifier step failed; retrying", metadata: metadata)
        }
        return delay
    }

    /// Failures of `lane` so far, by kind (for status and tests).
    public func failures(lane: String) -> [StepFailure: Int] { board.failures(lane: lane) }

    /// Conditions that make `lane` unhealthy until it reports others (none: healthy).
    public func setConditions(_ conditions: [String], lane: String) {
        update(lane) { $0.conditions = conditions }
    }

    func setSummary(_ summary: String, lane: String) {
        update(lane) { $0.summary = summary }
    }

    /// The daemon's health: every lane on the board.
    public func health() -> HealthReport { board.report() }

    @discardableResult
    private func update<T>(_ lane: String, _ body: (inout LaneBoard.Lane) -> T) -> T {
        board.update(lane, retry: retry, body)
    }
}

extension Finding.Severity {
    var logLevel: Logger.Level {
        switch self {
        case .info: .info
        case .warning: .warning
        case .error, .critical: .error
        }
    }
}

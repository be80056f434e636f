import Synchronization
import VigilTelemetry

/// The state of a daemon's lanes, for `/healthz`: each lane's last failure
/// (with its backoff and failure counts) and the conditions it reports. One
/// board per daemon, shared by its bookkeepings (the storage watcher's stages
/// each have their own scope and one board).
public final class LaneBoard: Sendable {
    struct Lane {
        var lastError: String?
        var conditions: [String] = []
        var backoff: RetryBackoff
        var failures: [StepFailure: Int] = [:]
        /// A line the lane shows whatever its state (a sweep's pass and ETA).
        var summary: String?
        /// When the lane's running round must have finished (`runLane`); past it, the lane is overdue.
        var roundDue: ContinuousClock.Instant?
        var lastRoundEnded: ContinuousClock.Instant?

        func overdue(at now: ContinuousClock.Instant) -> String? {
            guard let roundDue, now > roundDue else { return nil }
            let since = lastRoundEnded.map { "no round finished for \(($0.duration(to: now)).components.seconds) s" } ?? "its first round has not finished"
            return "overdue: \(since)"
        }
    }

    private let lanes = Mutex<[String: Lane]>([:])

    public init() {}

    /// Healthy while no lane's last step failed, reported a condition or is overdue.
    public func report() -> HealthReport {
        let now = ContinuousClock.now
        return lanes.withLock { lanes in
            let ordered = lanes.sorted { $0.key < $1.key }
            let summary = ordered.compactMap(\.value.summary).joined(separator: "; ")
            let problems = ordered.flatMap { name, lane in
                let own = (lane.lastError.map { ["last error: \($0)"] } ?? []) + lane.conditions + [lane.overdue(at: now)].compactMap { $0 }
                return lanes.count > 1 ? own.map { "\(name): \($0)" } : own
            }
            let detail = ([summary].filter { !$0.isEmpty } + problems).joined(separator: "; ")
            return HealthReport(healthy: problems.isEmpty, detail: detail.isEmpty ? "ok" : detail)
        }
    }

    /// Failures of `lane` so far, by kind (for status and tests).
    public func failures(lane: String) -> [StepFailure: Int] {
        lanes.withLock { $0[lane]?.failures ?? [:] }
    }

    @discardableResult
    func update<T>(_ lane: String, retry: RetryBackoff, _ body: (inout Lane) -> T) -> T {
        lanes.withLock { lanes in
            var state = lanes[lane] ?? Lane(backoff: retry)
            defer { lanes[lane] = state }
            return body(&state)
        }
    }
}

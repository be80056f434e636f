import Metrics

/// Deadline-driven pacing ("every 14 days, at most 50 MB/s"): the rate a pass
/// needs to finish by its deadline, re-derived from the work left and the
/// time left whenever either changes, never below `floor` and never above
/// `cap`, the most the verifier may take from the system it checks. A pure
/// value: callers pass the pass's size, progress and age.
public struct DeadlinePacing: Sendable, Equatable {
    /// A pass is due this long after it starts.
    public var period: Duration
    /// Units per second a pass never goes below (an empty node still sweeps).
    public var floor: Double
    /// Units per second a pass never goes above; nil: no cap.
    public var cap: Double?

    public init(period: Duration, floor: Double, cap: Double? = nil) {
        self.period = period
        self.floor = floor
        self.cap = cap
    }

    public struct Plan: Sendable, Equatable {
        /// Units per second from now on.
        public var rate: Double
        /// Seconds from the start of the pass to its deadline…
        public var deadline: Double
        /// …and to its finish at `rate`.
        public var projectedFinish: Double
        /// The cap (or a deadline already past) keeps the pass from finishing in time.
        public var unreachable: Bool
    }

    /// The plan for a pass of `total` units, `done` of them finished, `elapsed` after it started.
    public func plan(total: Double, done: Double, elapsed: Duration) -> Plan {
        let left = max(0, total - done)
        let deadline = Self.seconds(period), age = Self.seconds(elapsed)
        // A pass already late is asked to finish within a second: as fast as the cap allows.
        let timeLeft = max(deadline - age, 1)
        var rate = max(floor, left / timeLeft, 1)
        if let cap { rate = min(rate, max(cap, 1)) }
        let finish = age + left / rate
        return Plan(rate: rate, deadline: deadline, projectedFinish: finish, unreachable: finish > deadline * (1 + 1e-9) + 1e-6)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// A paced verifier's plan in metrics (labels `verifier`, `scope`): when its
/// pass is due, when it will finish at the paced rate, and whether the cap
/// makes the deadline unreachable (alerted on).
struct PacingGauges: Sendable {
    let deadline, projectedFinish, unreachable, rate: Gauge

    init(verifier: String, scope: String) {
        let labels = [("verifier", verifier), ("scope", scope)]
        deadline = Gauge(label: "vigil_pass_deadline_timestamp_seconds", dimensions: labels)
        projectedFinish = Gauge(label: "vigil_pass_projected_finish_timestamp_seconds", dimensions: labels)
        unreachable = Gauge(label: "vigil_pass_deadline_unreachable", dimensions: labels)
        rate = Gauge(label: "vigil_pass_rate_per_second", dimensions: labels)
    }

    /// Records `plan` for a pass that started at `started` (seconds since 1970).
    func record(_ plan: DeadlinePacing.Plan, started: Double) {
        deadline.record(started + plan.deadline)
        projectedFinish.record(started + plan.projectedFinish)
        unreachable.record(plan.unreachable ? 1 : 0)
        rate.record(plan.rate)
    }
}

import Synchronization

/// What a daemon's long-lived services say about themselves: each reports its
/// own health under its name, and `/healthz` answers their sum.
public final class HealthBoard: Sendable {
    private struct Entry {
        var report: HealthReport
        /// When the component promised its next report; past it, it is overdue.
        var due: ContinuousClock.Instant?
        var reportedAt: ContinuousClock.Instant
    }
    private let entries = Mutex<[String: Entry]>([:])
    private let probes = Mutex<[String: @Sendable () -> HealthReport]>([:])

    public init() {}

    /// Records what `component` says about itself now; with `nextWithin`, it
    /// counts as unhealthy (overdue) once that long passes without another report.
    public func report(_ component: String, _ report: HealthReport, nextWithin: Duration? = nil) {
        let now = ContinuousClock.now
        entries.withLock { $0[component] = Entry(report: report, due: nextWithin.map { now + $0 }, reportedAt: now) }
    }

    /// Asks `component` for its health each time the board is read (for
    /// components that keep their own state, such as a Kafka producer).
    public func watch(_ component: String, _ probe: @escaping @Sendable () -> HealthReport) {
        probes.withLock { $0[component] = probe }
    }

    /// Healthy while every component is; the detail names each unhealthy one
    /// and what it said (an overdue one: how long it has been silent).
    public func summary() -> HealthReport {
        let now = ContinuousClock.now
        var reports = entries.withLock { $0 }.mapValues { entry in
            guard let due = entry.due, now > due else { return entry.report }
            let silent = (now - entry.reportedAt).components.seconds
            return HealthReport(healthy: false, detail: "overdue: no report for \(silent) s (last: \(entry.report.detail))")
        }
        for (component, probe) in probes.withLock({ $0 }) { reports[component] = probe() }
        let unhealthy = reports.filter { !$0.value.healthy }.sorted { $0.key < $1.key }
        guard !unhealthy.isEmpty else { return .ok }
        return HealthReport(healthy: false, detail: unhealthy.map { "\($0.key): \($0.value.detail)" }.joined(separator: "; "))
    }
}

extension HealthReport {
    /// Healthy when there is no problem, otherwise unhealthy saying what it is.
    public init(problem: String?) {
        self.init(healthy: problem == nil, detail: problem ?? "ok")
    }
}

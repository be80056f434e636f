import Synchronization

/// What a daemon's long-lived services say about themselves: each reports its
/// own health under its name, and `/healthz` answers their sum.
public final class HealthBoard: Sendable {
    private let reports = Mutex<[String: HealthReport]>([:])

    public init() {}

    /// Records what `component` says about itself now.
    public func report(_ component: String, _ report: HealthReport) {
        reports.withLock { $0[component] = report }
    }

    /// Healthy while every component that reported is; the detail names each
    /// unhealthy one and what it said.
    public func summary() -> HealthReport {
        let unhealthy = reports.withLock { $0 }.filter { !$0.value.healthy }.sorted { $0.key < $1.key }
        guard !unhealthy.isEmpty else { return .ok }
        return HealthReport(healthy: false, detail: unhealthy.map { "\($0.key): \($0.value.detail)" }.joined(separator: "; "))
    }
}

import Metrics

/// A stage's own metrics (labels `zone`, `stage`). The names every verifier
/// shares (items, findings, errors, passes; labels `verifier`, `scope`) are
/// the stage's `VerifierMetrics`, from its bookkeeping.
struct StageMetrics: Sendable {
    let checked, failed, expectedAbsent, malformed, waiting: Counter
    /// Version-1 samples admitted by `--accept-unauthenticated-samples`.
    let unauthenticated: Counter
    /// Seconds the oldest sample past its due time has waited beyond it
    /// (held, put back while the frontend is down, or in flight); 0 when none.
    let lag: Gauge
    let held: Gauge

    init(zone: String, stage: String) {
        let labels = [("zone", zone), ("stage", stage)]
        checked = Counter(label: "vigil_watcher_checked_total", dimensions: labels)
        failed = Counter(label: "vigil_watcher_failed_total", dimensions: labels)
        expectedAbsent = Counter(label: "vigil_watcher_expected_absent_total", dimensions: labels)
        malformed = Counter(label: "vigil_watcher_malformed_total", dimensions: labels)
        unauthenticated = Counter(label: "vigil_watcher_unauthenticated_samples_total", dimensions: labels)
        waiting = Counter(label: "vigil_watcher_frontend_unavailable_total", dimensions: labels)
        lag = Gauge(label: "vigil_watcher_lag_seconds", dimensions: labels)
        held = Gauge(label: "vigil_watcher_held_samples", dimensions: labels)
    }
}

import Metrics

/// A stage's metrics: the watcher's own (labels `zone`, `stage`) and the
/// names every verifier shares (labels `verifier`, `scope`; the same names,
/// types and label sets as VigilVerifier's, so dashboards read them alike).
struct StageMetrics: Sendable {
    let checked, failed, expectedAbsent, malformed, waiting: Counter
    /// Version-1 samples admitted by `--accept-unauthenticated-samples`.
    let unauthenticated: Counter
    /// Seconds the oldest sample past its due time has waited beyond it
    /// (held, put back while the frontend is down, or in flight); 0 when none.
    let lag: Gauge
    let held: Gauge
    // Shared verifier metrics.
    let items, bytes, newFindings, unreachable, errors, passes: Counter
    let lastComplete: Gauge

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
        let shared = [("verifier", "storage-watcher"), ("scope", "\(zone)/\(stage)")]
        items = Counter(label: "vigil_verifier_items_checked_total", dimensions: shared)
        bytes = Counter(label: "vigil_verifier_bytes_checked_total", dimensions: shared)
        newFindings = Counter(label: "vigil_verifier_findings_new_total", dimensions: shared)
        unreachable = Counter(label: "vigil_verifier_unreachable_total", dimensions: shared)
        errors = Counter(label: "vigil_verifier_errors_total", dimensions: shared)
        passes = Counter(label: "vigil_verifier_passes_completed_total", dimensions: shared)
        lastComplete = Gauge(label: "vigil_pass_last_complete_timestamp_seconds", dimensions: shared)
    }
}

import Foundation
import Metrics

/// Every verifier's metrics, one naming scheme, labels `verifier` and `scope`.
/// Lanes the runner does not drive (the referee's event stream, the watcher's
/// stages) record into the same metrics.
public struct VerifierMetrics: Sendable {
    public let items: Counter
    public let bytes: Counter
    public let newFindings: Counter
    public let unreachable: Counter
    public let errors: Counter
    public let passes: Counter
    public let progress: Gauge
    public let eta: Gauge
    public let lastComplete: Gauge

    public init(verifier: String, scope: String) {
        let labels = [("verifier", verifier), ("scope", scope)]
        items = Counter(label: "vigil_verifier_items_checked_total", dimensions: labels)
        bytes = Counter(label: "vigil_verifier_bytes_checked_total", dimensions: labels)
        newFindings = Counter(label: "vigil_verifier_findings_new_total", dimensions: labels)
        unreachable = Counter(label: "vigil_verifier_unreachable_total", dimensions: labels)
        errors = Counter(label: "vigil_verifier_errors_total", dimensions: labels)
        passes = Counter(label: "vigil_verifier_passes_completed_total", dimensions: labels)
        progress = Gauge(label: "vigil_pass_progress_ratio", dimensions: labels)
        eta = Gauge(label: "vigil_pass_eta_seconds", dimensions: labels)
        lastComplete = Gauge(label: "vigil_pass_last_complete_timestamp_seconds", dimensions: labels)
    }
}

import Foundation
import Metrics

/// Every verifier's metrics, one naming scheme, labels `verifier` and `scope`.
struct VerifierMetrics: Sendable {
    let items: Counter
    let bytes: Counter
    let newFindings: Counter
    let unreachable: Counter
    let errors: Counter
    let passes: Counter
    let progress: Gauge
    let eta: Gauge
    let lastComplete: Gauge

    init(verifier: String, scope: String) {
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

import Foundation
import Metrics
import VigilPostgres

/// Every verifier's metrics, one naming scheme, labels `verifier` and `scope`.
/// Lanes the runner does not drive (the referee's event stream, the watcher's
/// stages) record into the same metrics.
public struct VerifierMetrics: Sendable {
    public let items: Counter
    public let bytes: Counter
    public let newFindings: Counter
    public let unreachable: Counter
    /// Every failed step…
    public let errors: Counter
    /// …and those whose error says retrying soon cannot help.
    public let permanentErrors: Counter
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
        permanentErrors = Counter(label: "vigil_verifier_permanent_errors_total", dimensions: labels)
        passes = Counter(label: "vigil_verifier_passes_completed_total", dimensions: labels)
        progress = Gauge(label: "vigil_pass_progress_ratio", dimensions: labels)
        eta = Gauge(label: "vigil_pass_eta_seconds", dimensions: labels)
        lastComplete = Gauge(label: "vigil_pass_last_complete_timestamp_seconds", dimensions: labels)
    }
}

/// What the alerting rules (`deploy/prometheus/vigil-alerts.yml`) need from a
/// runner-driven verifier beyond `VerifierMetrics`: its cadence, since when its
/// scope has been verified, and the ledger's open findings and repair backlog.
/// Read from the block index, so they hold whatever process wrote the rows.
struct LedgerGauges: Sendable {
    let verifier: String
    let scope: String
    /// Seconds between complete passes in steady state (sweep period + pause).
    let expectedPeriod: Gauge
    /// When the first pass of this verifier and scope started (from the ledger).
    let firstStarted: Gauge
    /// Repairs this verifier requested that the master has not finished.
    let repairsOutstanding: Gauge

    init(verifier: String, scope: String) {
        self.verifier = verifier
        self.scope = scope
        let labels = [("verifier", verifier), ("scope", scope)]
        expectedPeriod = Gauge(label: "vigil_pass_expected_period_seconds", dimensions: labels)
        firstStarted = Gauge(label: "vigil_pass_first_started_timestamp_seconds", dimensions: labels)
        repairsOutstanding = Gauge(label: "vigil_verifier_repairs_outstanding", dimensions: labels)
    }

    /// Open findings of this verifier and scope, one gauge per kind and severity.
    func openFindings(kind: String, severity: String) -> Gauge {
        Gauge(label: "vigil_findings_open", dimensions: [("verifier", verifier), ("scope", scope), ("kind", kind), ("severity", severity)])
    }

    /// The ledger's pass times: (first pass started, last pass completed or 0), seconds since 1970.
    func passTimes(_ pool: PostgresPool) async throws -> (firstStarted: Double?, lastComplete: Double) {
        let rows = try await pool.withConnection { [verifier, scope] c in
            try await c.query("""
                SELECT extract(epoch FROM min(started_at))::float8,
                       coalesce(extract(epoch FROM max(finished_at) FILTER (WHERE state = 'complete')), 0)::float8
                FROM passes WHERE verifier = $1 AND scope = $2
                """, [.text(verifier), .text(scope)])
        }
        return (rows.isNull(0, 0) ? nil : try rows.float64(0, 0), try rows.float64(0, 1))
    }

    /// When the pass `pass` started, seconds since 1970 (its deadline counts from then).
    func passStarted(_ pool: PostgresPool, pass: Int64) async throws -> Double {
        try await pool.withConnection { c in
            try await c.query("SELECT extract(epoch FROM started_at)::float8 FROM passes WHERE id = $1", [.int64(pass)]).float64(0, 0)
        }
    }

    /// Sets the open-findings and repair-backlog gauges from the ledger; kinds
    /// in `previous` no longer open are set to 0. Returns the kinds now shown.
    func refresh(_ pool: PostgresPool, previous: Set<[String]>) async throws -> Set<[String]> {
        let (open, repairs) = try await pool.withConnection { [verifier, scope] c in
            let open = try await c.query("""
                SELECT kind, severity, count(*) FROM findings WHERE verifier = $1 AND scope = $2 AND resolved_at IS NULL GROUP BY kind, severity
                """, [.text(verifier), .text(scope)])
            // The File Journal has no repair queue (the cross-zone verifier's journal scope): none outstanding.
            guard try await c.query("SELECT to_regclass('repair_queue') IS NOT NULL").bool(0, 0) else { return (open, Int64(0)) }
            let repairs = try await c.query(
                "SELECT count(*) FROM repair_queue WHERE requested_by = $1 AND state IN ('pending', 'running')", [.text(verifier)])
            return (open, try repairs.int64(0, 0))
        }
        var shown = Set<[String]>()
        for row in 0..<open.count {
            let labels = [open.string(row, 0), open.string(row, 1)]
            openFindings(kind: labels[0], severity: labels[1]).record(try open.int64(row, 2))
            shown.insert(labels)
        }
        for gone in previous.subtracting(shown) { openFindings(kind: gone[0], severity: gone[1]).record(0) }
        repairsOutstanding.record(repairs)
        return shown.union(previous)
    }
}

import Metrics

/// `vigil_verification_oldest_timestamp_seconds{verifier, scope}`: every part of
/// the scope's domain was verified at or after this time (the start of its last
/// complete pass, `VerificationAge`); 0 while no pass has completed. Prometheus
/// derives the age (`time() - …`, the recording rule `vigil:verification_age_seconds`).
/// Every verifier sets it through its ledger: when a pass starts or resumes (so
/// a restarted daemon shows it at once) and when one completes. A running pass
/// never moves it: the parts it has not reached are as old as the last complete pass.
extension VerifierLedger {
    static let verificationAgeMetric = "vigil_verification_oldest_timestamp_seconds"

    /// Reads the start of this scope's last complete pass and records it. A read
    /// that fails leaves the gauge where it was, which is older than the truth,
    /// never younger; the ledger write beside it fails and is reported by its caller.
    func recordVerificationAge() async {
        let since: Double?
        do {
            since = try await pool.withConnection { [verifier, scope] c in
                try await LedgerReader(c).verificationAge(VerifierID(rawValue: verifier), scope: LedgerScope(rawValue: scope)).verifiedSince
            }
        } catch {
            return
        }
        Gauge(label: Self.verificationAgeMetric, dimensions: [("verifier", verifier), ("scope", scope)]).record(since ?? 0)
    }
}

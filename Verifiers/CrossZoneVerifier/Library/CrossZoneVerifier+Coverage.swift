import VigilCore
import VigilPostgres
import VigilVerifier

extension CrossZoneVerifier {
    /// At the start of each pass: every File Journal user naming a zone this
    /// verifier is not configured for (a zone being added, a typo in
    /// `users.zones`) is one `zone_not_covered` finding, `user/U/zones`. The
    /// journal walk looks a user's blocks up only in covered zones, so without
    /// this such a user's blocks would never be checked there, silently.
    /// Every user's subject is observed, so a finding resolves once the user's
    /// zones are all covered again.
    func coverageCheck(_ outcome: inout StepOutcome) async throws {
        let rows = try await journal.withConnection { c in
            try await c.query("SELECT name, zones FROM users ORDER BY name")
        }
        let covered = Set(config.zones.map(\.name))
        for i in 0..<rows.count {
            let user = rows.string(i, 0)
            let subject = "user/\(user)/zones"
            outcome.observedSubjects.append(subject)
            let uncovered = try rows.stringArray(i, 1).filter { !covered.contains($0) }
            guard !uncovered.isEmpty else { continue }
            outcome.findings.append(Finding(
                .zoneNotCovered, subject: subject,
                details: ["user": user, "zones": uncovered.sorted().joined(separator: ","),
                          "detail": "zones named by the user that this verifier is not configured for (--zone)"]))
        }
    }
}

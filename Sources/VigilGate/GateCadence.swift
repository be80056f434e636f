import VigilLedger

/// How often each verifier completes a full pass in steady state, per cadence
/// profile: the gate refuses a window in which a full pass cannot both start and
/// finish. These are the profiles' defaults (a sweep period plus the pause
/// between passes); `GateCadenceTests` checks them against the verifiers' configs.
/// A verifier this build does not know has no period (the gate cannot size a window for it).
public enum GateCadence {
    /// Seconds between complete passes of `verifier` under `profile`.
    public static func passPeriod(_ verifier: VerifierID, profile: String) -> Double? {
        let table: [VerifierID: (production: Double, dev: Double)] = [
            .diskScrubber: (14 * 86_400 + 60, 5 + 0.5),
            .metadataScanner: (7 * 86_400 + 60, 2 + 0.5),
            .trashInspector: (600, 0.5),
            .extentReferee: (3600, 3),
            .storageWatcher: (3600, 5),
            .crossZoneVerifier: (3600, 1),
        ]
        guard let row = table[verifier] else { return nil }
        return profile == "dev" ? row.dev : row.production
    }

    /// The shortest window in which every expected verifier completes a pass that
    /// also started inside it: twice the longest pass period (a pass may have
    /// just begun when the window opened), rounded up to a whole day in
    /// production and to ten seconds in the dev profile.
    public static func requiredWindow(verifiers: Set<VerifierID>, profile: String) -> (seconds: Double, label: String, slowest: VerifierID)? {
        let periods = verifiers.compactMap { v in passPeriod(v, profile: profile).map { (v, $0) } }
        guard let slowest = periods.max(by: { $0.1 < $1.1 }) else { return nil }
        let unit: Double = profile == "dev" ? 10 : 86_400
        let seconds = (2 * slowest.1 / unit).rounded(.up) * unit
        let label = profile == "dev" ? "\(Int(seconds))s" : "\(Int(seconds / 86_400))d"
        return (seconds, label, slowest.0)
    }

    /// `14d 1m`, `5.5s`: a period as an operator reads it.
    public static func describe(_ seconds: Double) -> String {
        if seconds < 60 { return seconds == seconds.rounded() ? "\(Int(seconds))s" : "\(seconds)s" }
        var rest = Int(seconds), parts: [String] = []
        for (unit, name) in [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")] where rest >= unit {
            parts.append("\(rest / unit)\(name)")
            rest %= unit
        }
        return parts.joined(separator: " ")
    }
}

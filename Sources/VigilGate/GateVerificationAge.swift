import VigilLedger
import VigilPostgres

/// `--max-age`: the oldest a part of any expected scope's domain may have been
/// verified (`VerificationAge`: at most since the start of its last complete pass).
public struct GateMaxAge: Sendable, Equatable {
    public var seconds: Double
    /// As the operator wrote it (`14d`).
    public var label: String

    public init(seconds: Double, label: String) {
        self.seconds = seconds
        self.label = label
    }
}

/// What an age check measured, for the JSON report.
public struct GateAgeMeasure: Sendable, Codable, Equatable {
    /// Seconds since the oldest part of the scope's domain was verified, at most; nil: never verified.
    public var oldestSeconds: Double?
    public var maxSeconds: Double
}

extension Gate {
    /// One check per expected scope: the oldest verification of every scope that
    /// covers it is within `maxAge`. A scope that never completed a pass has no
    /// age and fails: "never verified" is not "young".
    static func ageChecks(_ c: PostgresConnection, _ expected: [GateExpectation], _ maxAge: GateMaxAge) async throws -> [GateCheck] {
        let ledger = LedgerReader(c)
        var checks: [GateCheck] = []
        for e in expected {
            var ages: [VerificationAge] = []
            for scope in e.coveredBy { ages.append(try await ledger.verificationAge(e.verifier, scope: scope)) }
            let never = ages.filter { $0.verifiedSince == nil }
            let oldest = never.isEmpty ? ages.max { $0.oldestSeconds! < $1.oldestSeconds! } : nil
            let age = oldest?.oldestSeconds
            let passed = age.map { $0 <= maxAge.seconds } ?? false
            let detail: String
            if !never.isEmpty {
                detail = "\(never.map(\.scope.rawValue).joined(separator: ", ")) never completed a pass, so nothing says its data was ever verified "
                    + "(--max-age \(maxAge.label) needs every part verified within it)"
            } else if let oldest, let age {
                let on = e.coveredBy.count > 1 ? " on \(oldest.scope)" : ""
                detail = "oldest verification \(describeAge(age)) ago\(on) (every part verified since its last complete pass started, "
                    + "\(time(oldest.verifiedSince))), \(passed ? "within" : "older than") --max-age \(maxAge.label)"
            } else {
                detail = "no scope covers it"
            }
            checks.append(GateCheck(verifier: e.verifier.rawValue, scope: e.scope.rawValue, passed: passed, detail: detail,
                                    age: GateAgeMeasure(oldestSeconds: age, maxSeconds: maxAge.seconds)))
        }
        return checks
    }

    /// `20d 5h`, `3h 12m`, `42s`: an age to the nearest hour past a day, minute past an hour, second below.
    public static func describeAge(_ seconds: Double) -> String {
        let unit: Double = seconds >= 86_400 ? 3600 : seconds >= 3600 ? 60 : 1
        return GateCadence.describe((seconds / unit).rounded() * unit)
    }

    /// Refuses a `--max-age` a healthy cluster cannot meet: just before a sweep
    /// completes, the part it has not reached yet was verified by the previous
    /// pass, up to two pass periods ago; the same bound the window has.
    static func checkMaxAge(_ maxAge: GateMaxAge, verifiers: Set<VerifierID>, profile: String) throws {
        guard let needed = GateCadence.requiredWindow(verifiers: verifiers, profile: profile), maxAge.seconds < needed.seconds else { return }
        let period = GateCadence.describe(GateCadence.passPeriod(needed.slowest, profile: profile)!)
        throw GateError("""
            a \(maxAge.label) --max-age is shorter than the \(profile) profile's verification age gets in a healthy cluster: \
            use --max-age \(needed.label) or longer (\(needed.slowest) completes a pass every \(period), and just before one \
            completes, the part of its domain it has not reached yet was last verified by the previous pass, up to two periods ago)
            """)
    }
}

import Foundation
import VigilLedger
import VigilPostgres

/// One thing the gate checked.
public struct GateCheck: Sendable, Codable, Equatable {
    /// The JUnit test case's class: the verifier, `findings` or `topology`.
    public var verifier: String
    /// The scope (zone, shard, node, stage), or what the check covers.
    public var scope: String
    public var passed: Bool
    public var detail: String
    /// Set on a `--max-age` check: what it measured.
    public var age: GateAgeMeasure?

    public init(verifier: String, scope: String, passed: Bool, detail: String, age: GateAgeMeasure? = nil) {
        self.verifier = verifier
        self.scope = scope
        self.passed = passed
        self.detail = detail
        self.age = age
    }
}

/// The staging sign-off verdict for a window.
public struct GateVerdict: Sendable, Codable {
    public var signOff: Bool
    public var window: String
    /// The `--max-age` asked for (`14d`); nil when ages were not checked.
    public var maxAge: String?
    public var checks: [GateCheck]
    public var reasons: [String] { checks.filter { !$0.passed }.map { "\($0.verifier) \($0.scope): \($0.detail)" } }
}

/// The databases a gate reads. What must have been verified comes from each
/// zone's recorded topology and live nodes, never from how the gate was called.
public struct GateInputs: Sendable {
    public var zoneDatabases: [String]
    /// The File Journal's database: required when a zone is covered by the cross-zone verifier.
    public var journalDatabase: String?

    public init(zoneDatabases: [String], journalDatabase: String?) {
        self.zoneDatabases = zoneDatabases
        self.journalDatabase = journalDatabase
    }
}

/// Why the gate cannot decide (exit 2).
public struct GateError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Evaluates the sign-off rules over the pass ledger and the findings. Fails
/// closed: a zone with no recorded topology, an expected scope with no complete
/// pass, or a pass that checked nothing where there was something to check blocks.
public enum Gate {
    /// With `maxAge`, every expected scope's oldest verification must also be within it.
    public static func evaluate(_ inputs: GateInputs, windowSeconds: Double, windowLabel: String, maxAge: GateMaxAge? = nil) async throws -> GateVerdict {
        guard !inputs.zoneDatabases.isEmpty else { throw GateError("no zone database to evaluate") }
        var checks: [GateCheck] = []
        var profiles: Set<String> = []
        var crossZone = false
        var zones: [(PostgresConnection, ZoneTopology?, String)] = []
        for url in inputs.zoneDatabases {
            let c = try await connect(url, what: "a zone")
            let topology = try await ZoneTopology.load(c)
            let name = topology?.zone ?? databaseName(url)
            if let topology {
                profiles.insert(topology.profile)
                crossZone = crossZone || topology.crossZone
            }
            zones.append((c, topology, name))
        }
        // Refuse a window in which the slowest expected verifier cannot complete a pass, and a max age a healthy sweep exceeds.
        for profile in profiles {
            var verifiers = Set(VerifierID.zoneVerifiers)
            if crossZone { verifiers.insert(.crossZoneVerifier) }
            if let needed = GateCadence.requiredWindow(verifiers: verifiers, profile: profile), windowSeconds < needed.seconds {
                throw GateError("""
                    a \(windowLabel) window is shorter than the \(profile) profile needs: use --window \(needed.label) or longer \
                    (\(needed.slowest) completes a pass every \(GateCadence.describe(GateCadence.passPeriod(needed.slowest, profile: profile)!)), \
                    and a full pass must both start and finish inside the window)
                    """)
            }
            if let maxAge { try checkMaxAge(maxAge, verifiers: verifiers, profile: profile) }
        }
        for (c, topology, name) in zones {
            guard let topology else {
                checks.append(GateCheck(
                    verifier: "topology", scope: name, passed: false,
                    detail: "this zone's topology was never recorded, so nothing says which verifiers must have run: "
                        + "run `vigil zone configure --database URL --zone NAME --profile production|dev`"))
                checks += try await findingChecks(c, scope: name, windowSeconds)
                continue
            }
            let expected = GateExpectations.zone(topology, liveNodes: try await liveNodes(c))
            checks += try await passChecks(c, expected, windowSeconds)
            if let maxAge { checks += try await ageChecks(c, expected, maxAge) }
            checks += try await findingChecks(c, scope: name, windowSeconds)
        }
        if crossZone {
            if let journal = inputs.journalDatabase {
                let c = try await connect(journal, what: "the File Journal")
                checks += try await passChecks(c, [GateExpectations.crossZone], windowSeconds)
                if let maxAge { checks += try await ageChecks(c, [GateExpectations.crossZone], maxAge) }
                checks += try await findingChecks(c, scope: "journal", windowSeconds)
            } else {
                checks.append(GateCheck(
                    verifier: VerifierID.crossZoneVerifier.rawValue, scope: LedgerScope.global.rawValue, passed: false,
                    detail: "a zone is covered by the cross-zone verifier, whose ledger is in the File Journal's database: "
                        + "pass --journal-database URL (or --cluster)"))
            }
        }
        return GateVerdict(signOff: checks.allSatisfy(\.passed), window: windowLabel, maxAge: maxAge?.label, checks: checks)
    }

    static func connect(_ url: String, what: String) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(url: url)
        } catch {
            throw GateError("cannot reach \(what)'s database \(databaseName(url)): \(error)")
        }
    }

    static func liveNodes(_ c: PostgresConnection) async throws -> [Int] {
        let rows = try await c.query("SELECT id FROM nodes WHERE state <> $1 ORDER BY id", [.text(NodeState.retired.rawValue)])
        return try (0..<rows.count).map { try rows.int($0, 0) }
    }

    /// The database name of a `postgresql://` URL, never its credentials.
    static func databaseName(_ url: String) -> String {
        let path = url.split(separator: "?").first.map(String.init) ?? url
        return path.split(separator: "/").last.map(String.init) ?? "database"
    }

    /// Parses `7d`, `12h`, `30m`, `90s`.
    public static func parseWindow(_ text: String) -> Double? {
        guard let unit = text.last, let n = Double(text.dropLast()), n > 0 else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        case "d": return n * 86_400
        default: return nil
        }
    }
}

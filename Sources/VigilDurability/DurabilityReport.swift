import Foundation

/// How often a verifier completes a pass over one scope (the pass ledger).
public struct VerifierCadence: Sendable, Equatable, Codable {
    public var verifier: String
    public var scope: String
    public var completePasses: Int
    /// Mean hours between complete passes (one pass: its duration).
    public var hoursBetweenPasses: Double

    public init(verifier: String, scope: String, completePasses: Int, hoursBetweenPasses: Double) {
        self.verifier = verifier
        self.scope = scope
        self.completePasses = completePasses
        self.hoursBetweenPasses = hoursBetweenPasses
    }
}

/// One zone's estimate, its inputs and what moves it.
public struct ZoneDurability: Sendable, Codable {
    public var zone: String
    public var inputs: [ReportedInput]
    public var estimate: DurabilityEstimate
    /// The input whose halving buys the most nines.
    public var dominant: Lever
    public var sensitivity: [SensitivityRow]
    public var cadences: [VerifierCadence]
    public var watcher: [StageBound]
    /// What was not measured and why, and caveats the figures carry.
    public var notes: [String]

    public init(zone: String, sourced: SourcedInputs, cadences: [VerifierCadence], watcher: [StageBound], notes: [String]) {
        self.zone = zone
        let inputs = sourced.inputs
        self.inputs = sourced.rows
        estimate = inputs.estimate()
        sensitivity = inputs.sensitivity()
        dominant = sensitivity.first?.lever ?? .failureRate
        self.cadences = cadences
        self.watcher = watcher
        var notes = notes
        if inputs.volumes == 0 { notes.append("no volumes yet: the estimate is for one volume") }
        if inputs.nodes < inputs.replication {
            notes.append("\(inputs.nodes) nodes for R=\(inputs.replication): replicas sharing a node die together, so a group has \(inputs.independentCopies) independent copies")
        } else if inputs.nodes == inputs.replication {
            notes.append("as many nodes as replicas: a dead node's replicas have no other node to be re-created on until one is added")
        }
        self.notes = notes
    }
}

/// `vigil durability --json`.
public struct DurabilityReport: Sendable, Codable {
    public var zones: [ZoneDurability]
    /// P(some volume in some zone loses data within a year), zones independent and
    /// a block's copies in other zones not credited (pessimistic).
    public var annualLossProbability: Double
    public var nines: Double
    public var mttdlYears: Double
    public var model: String

    public init(zones: [ZoneDurability]) {
        self.zones = zones
        let rate = zones.reduce(0.0) { $0 + 1 / $1.estimate.mttdlYears }
        annualLossProbability = -expm1(-rate)
        nines = Nines.of(annualLossProbability)
        mttdlYears = 1 / rate
        model = """
            Per volume, a continuous-time Markov chain over (copies lost to disk or node deaths, surviving copies with an \
            undetected latent error), solved exactly for the expected time to data loss; volumes and zones independent; \
            exponential windows W = detection + repair; software, operator and correlated (rack, zone) failures excluded. See README, Durability.
            """
    }
}

/// What one step of a verifier did.
public struct StepOutcome: Sendable {
    /// Where the next step starts; meaningful while the pass is not complete.
    public var cursor: [UInt8]
    /// True when this step finished the pass.
    public var passComplete: Bool
    public var items = 0
    public var bytes = 0
    public var findings: [Finding] = []
    /// Subject prefixes observed clean in this step: open findings under them are resolved.
    public var cleanPrefixes: [String] = []
    /// Key ranges checked in this step: open findings whose `key` detail lies in a
    /// range, of the given kinds and not reported again in this step, are resolved.
    public var cleanKeyRanges: [CleanKeyRange] = []
    /// Subjects this step checked whole: their open findings of any kind not
    /// reported again in this step are resolved (the damage changed, e.g. one of
    /// two problems was repaired), those reported again stay open.
    public var observedSubjects: [String] = []
    /// Conditions that make this verifier unhealthy while they last (a peer that
    /// refuses our credential, …): shown in `/healthz`, cleared by a step without them.
    public var unhealthy: [String] = []
    public var repairs: Set<RepairNeed> = []
    /// Peers that did not answer: their own condition, never a data finding.
    public var unreachable: [String] = []

    public init(cursor: [UInt8], passComplete: Bool) {
        self.cursor = cursor
        self.passComplete = passComplete
    }
}

/// Block keys (hex, inclusive) that a step checked, for resolving findings no longer observed.
public struct CleanKeyRange: Sendable {
    public var from: String
    public var to: String
    public var kinds: [String]
    /// Only findings whose details include these values (e.g. `["node": "2"]`).
    public var match: [String: String]

    public init(from: String, to: String, kinds: [String], match: [String: String] = [:]) {
        self.from = from
        self.to = to
        self.kinds = kinds
        self.match = match
    }
}

/// The size of a pass, for progress and ETA, in the unit the verifier counts.
public struct PassEstimate: Sendable {
    public var units: Double
    /// "bytes" or "items": which of a step's counts advances progress.
    public var unit: Unit

    public enum Unit: Sendable { case bytes, items }

    public init(units: Double, unit: Unit) {
        self.units = units
        self.unit = unit
    }
}

/// What differs between verifiers: how big a pass is and what one step checks.
/// Everything else (cursor, ledger, findings, rate limit, metrics) is the runner's.
public protocol VerifierCheck: Sendable {
    /// Called at the start or resumption of a pass.
    func estimatePass() async throws -> PassEstimate
    /// Checks the next unit of work after `cursor` (empty at the start of a pass).
    func step(from cursor: [UInt8], limiter: SharedRateLimiter) async throws -> StepOutcome
}

/// Cadence: production sweeps slowly and continuously; dev sweeps in seconds.
public enum CadenceProfile: String, Sendable, CaseIterable {
    case production, dev
}

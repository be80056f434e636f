/// What one step of a verifier observed: the findings, the resolutions, the
/// repairs and the work it counted. A typed check says where the next step
/// starts in its `Step`; `cursor` and `passComplete` are a byte-cursor
/// check's (`VerifierCheck`).
public struct StepOutcome: Sendable {
    /// A byte-cursor check's next position; meaningful while the pass is not complete.
    public var cursor: [UInt8]
    /// A byte-cursor check's: true when this step finished the pass.
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

    /// An outcome with nothing observed yet (a typed check's step).
    public init() {
        self.init(cursor: [], passComplete: false)
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

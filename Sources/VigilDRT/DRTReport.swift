/// One injected fault and what became of it (`Schemas/drt-report.md`).
public struct FaultReport: Sendable, Codable {
    public var seed: UInt64
    public var `class`: String
    public var target: String
    /// The finding kinds and subject that count as catching it.
    public var expected: String
    public var detected: Bool
    public var verifier: String?
    /// "kind subject" of the finding that caught it.
    public var finding: String?
    public var seconds_to_detect: Double?
    public var repairable: Bool
    public var repaired: Bool
    public var seconds_to_repair: Double?
    /// Why it was not repaired, or how DRT undid a fault no daemon repairs.
    public var note: String?
}

/// Per class: how many were injected, caught and repaired.
public struct ClassSummary: Sendable, Codable {
    public var injected: Int
    public var detected: Int
    public var recall: Double
    /// Repaired by the cluster; repairable faults only.
    public var repaired: Int
    public var repairable: Int
}

public struct Distribution: Sendable, Codable {
    public var count: Int
    public var p50: Double?
    public var p99: Double?
    public var max: Double?

    init(_ values: [Double]) {
        let sorted = values.sorted()
        count = sorted.count
        func at(_ q: Double) -> Double? { sorted.isEmpty ? nil : sorted[Swift.min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1)] }
        p50 = at(0.5)
        p99 = at(0.99)
        max = sorted.last
    }
}

/// An error or critical finding raised during the run that no injected fault explains.
public struct UnexplainedFinding: Sendable, Codable {
    public var zone: String
    public var verifier: String
    public var kind: String
    public var subject: String
    public var severity: String
}

/// The DRT report (`--json`): the contract in `Schemas/drt-report.md`.
public struct DRTReport: Sendable, Codable {
    public var seeds: [UInt64]
    public var under_load: Bool
    public var injected: Int
    public var detected: Int
    /// Detected faults' findings over all error/critical findings raised (explained + unexplained), 0–1.
    public var precision: Double
    /// Blocks DRT wrote (and did not delete or destroy on purpose) that no longer read back intact.
    public var lost: Int
    public var unexplained: [UnexplainedFinding]
    /// Unexplained findings counted by kind.
    public var unexplained_by_kind: [String: Int]
    public var classes: [String: ClassSummary]
    public var faults: [FaultReport]
    public var seconds_to_detect: Distribution
    public var seconds_to_repair: Distribution
    /// Load activity when `under_load`: puts, gets, deletes, drains.
    public var load: [String: Int]

    /// Every fault detected, every repairable one repaired, nothing unexplained, nothing lost.
    public var passed: Bool {
        detected == injected && unexplained.isEmpty && lost == 0 && faults.allSatisfy { !$0.repairable || $0.repaired }
    }

    init(seeds: [UInt64], underLoad: Bool, faults: [FaultReport], explained: Int, unexplained: [UnexplainedFinding], lost: Int, load: [String: Int]) {
        self.seeds = seeds
        under_load = underLoad
        self.faults = faults
        injected = faults.count
        detected = faults.filter(\.detected).count
        let raised = explained + unexplained.count
        precision = raised == 0 ? 1 : Double(explained) / Double(raised)
        self.lost = lost
        self.unexplained = unexplained
        unexplained_by_kind = Dictionary(unexplained.map { ($0.kind, 1) }, uniquingKeysWith: +)
        classes = Dictionary(grouping: faults, by: \.class).mapValues { group in
            let detected = group.filter(\.detected).count
            return ClassSummary(injected: group.count, detected: detected, recall: Double(detected) / Double(group.count),
                                repaired: group.filter(\.repaired).count, repairable: group.filter(\.repairable).count)
        }
        seconds_to_detect = Distribution(faults.compactMap(\.seconds_to_detect))
        seconds_to_repair = Distribution(faults.compactMap(\.seconds_to_repair))
        self.load = load
    }
}

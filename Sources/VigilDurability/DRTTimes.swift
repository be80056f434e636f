import Foundation

/// The part of `vigil drt --json` (Schemas/drt-report.md) the model reads:
/// each fault's class and times, measured from the injection.
public struct DRTTimes: Sendable, Decodable {
    public struct Fault: Sendable, Decodable {
        public var `class`: String
        public var detected: Bool
        public var seconds_to_detect: Double?
        public var seconds_to_repair: Double?
    }

    public var faults: [Fault]

    /// Classes that take a whole node, not a sector: their times are node-loss detection and re-replication.
    public static let nodeClasses: Set<String> = ["node_lost"]
    /// Classes that damage no data (a wrong credential, a forged sample): no part of a loss window.
    public static let nonDataClasses: Set<String> = ["wrong_credential", "hostile_sample"]

    public static func decode(_ data: Data) throws -> DRTTimes {
        try JSONDecoder().decode(DRTTimes.self, from: data)
    }

    func faults(node: Bool) -> [Fault] {
        faults.filter { Self.nodeClasses.contains($0.class) == node && !Self.nonDataClasses.contains($0.class) }
    }

    /// Median seconds from injection to the finding, for data faults (`node: false`) or lost nodes.
    public func medianDetectSeconds(node: Bool) -> Double? {
        Self.median(faults(node: node).compactMap(\.seconds_to_detect))
    }

    /// Median seconds from the finding to the repair (DRT measures repair from the injection).
    public func medianRepairSeconds(node: Bool) -> Double? {
        Self.median(faults(node: node).compactMap { f in
            guard let detect = f.seconds_to_detect, let repair = f.seconds_to_repair else { return nil }
            return max(0, repair - detect)
        })
    }

    /// Data faults DRT injected and no verifier reported: escapes the model cannot see.
    public var undetectedDataFaults: (missed: Int, of: Int) {
        let data = faults(node: false)
        return (data.filter { !$0.detected }.count, data.count)
    }

    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}

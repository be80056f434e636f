import Foundation
import Testing
import VigilCore
import VigilDRT
import VigilDev
import VigilTestSupport

@Suite("DRT", .serialized)
struct DRTTests {
    /// The report contract (`Schemas/drt-report.md`), decoded strictly: a missing field fails.
    struct Report: Decodable {
        struct Fault: Decodable {
            var seed: UInt64
            var `class`: String
            var target: String
            var detected: Bool
            var verifier: String?
            var finding: String?
            var seconds_to_detect: Double?
            var repairable: Bool
            var repaired: Bool
            var seconds_to_repair: Double?
            var note: String?
        }
        struct ClassSummary: Decodable { var injected: Int; var detected: Int; var recall: Double; var repaired: Int }
        struct Distribution: Decodable { var p50: Double?; var p99: Double?; var max: Double? }
        struct Unexplained: Decodable { var zone: String; var verifier: String; var kind: String; var subject: String }
        var precision: Double
        var lost: Int
        var unexplained: [Unexplained]
        var classes: [String: ClassSummary]
        var faults: [Fault]
        var seconds_to_detect: Distribution
        var seconds_to_repair: Distribution
    }

    /// Every class but node_lost (it takes a node for good; its repair needs `vigil nodes retire --dead`).
    static let classes = FaultClass.allCases.filter { $0 != .nodeLost }

    @Test("one fault of every class, in every zone, is caught exactly by its verifier, repaired or undone, with nothing unexplained and nothing lost",
          .timeLimit(.minutes(8)))
    func everyClassMeasuredBothWays() async throws {
        try await withTestCluster(volumeTargetBytes: 256 << 10, verifiers: true) { (cluster: ClusterFile) async throws in
            let result = try Command.runStatus([
                "\(Processes.executableDirectory)/vigil", "drt", "--cluster", DevCluster.clusterPath(cluster.directory),
                "--faults", "\(Self.classes.count)", "--seed", "7", "--classes", Self.classes.map(\.rawValue).joined(separator: ","),
                "--timeout-seconds", "150", "--repair-timeout-seconds", "120", "--json",
            ])
            let json = try #require(result.output.firstIndex(of: "{").map { String(result.output[$0...]) }, "drt printed: \(result.output.suffix(3000))")
            let report = try JSONDecoder().decode(Report.self, from: Data(json.utf8))
            #expect(report.faults.count == Self.classes.count)
            #expect(Set(report.classes.keys) == Set(Self.classes.map(\.rawValue)), "every class once")
            #expect(Set(report.faults.map { $0.target.split(separator: " ")[0] }).count >= 2, "faults land in more than one zone")
            for fault in report.faults where !fault.detected { Issue.record("\(fault.class) on \(fault.target) went undetected") }
            for fault in report.faults where fault.repairable && !fault.repaired {
                Issue.record("\(fault.class) on \(fault.target) was not repaired: \(fault.note ?? "")")
            }
            for (name, summary) in report.classes { #expect(summary.recall == 1.0, "\(name) recall") }
            for finding in report.unexplained { Issue.record("unexplained: \(finding.zone) \(finding.verifier) \(finding.kind) \(finding.subject)") }
            #expect(report.precision == 1.0)
            #expect(report.lost == 0)
            #expect(report.faults.allSatisfy { !$0.detected || ($0.verifier != nil && $0.finding != nil && $0.seconds_to_detect != nil) })
            #expect(report.faults.allSatisfy { !$0.repaired || $0.seconds_to_repair != nil })
            #expect(report.seconds_to_detect.max != nil && report.seconds_to_repair.p50 != nil)
            #expect(result.status == 0)
        }
    }

    @Test("--seeds takes a range and refuses nonsense", .timeLimit(.minutes(1)))
    func seedsOption() throws {
        let vigil = "\(Processes.executableDirectory)/vigil"
        let bad = try Command.runStatus([vigil, "drt", "--cluster", "/nonexistent/cluster.json", "--seeds", "5..x"])
        #expect(bad.status != 0)
        #expect(bad.output.contains("--seeds"))
        let both = try Command.runStatus([vigil, "drt", "--cluster", "/nonexistent/cluster.json", "--seed", "1", "--seeds", "1..2"])
        #expect(both.output.contains("not both"))
    }
}

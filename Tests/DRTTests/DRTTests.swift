import Foundation
import Testing
import VigilCore
import VigilDev
import VigilTestSupport

@Suite("DRT", .serialized)
struct DRTTests {
    struct Report: Decodable {
        struct Fault: Decodable {
            var `class`: String
            var target: String
            var detected: Bool
            var verifier: String?
            var finding: String?
            var seconds_to_detect: Double?
            var repaired: Bool
        }
        var injected: Int
        var detected: Int
        var faults: [Fault]
    }

    @Test("one fault of every class, injected secretly, is detected by the verifier that owns it")
    func everyClassIsDetected() async throws {
        try await withTestCluster(volumeTargetBytes: 256 << 10, verifiers: true) { (cluster: ClusterFile) async throws in
            let result = try Command.runStatus([
                "\(Processes.executableDirectory)/vigil", "drt", "--cluster", DevCluster.clusterPath(cluster.directory),
                "--faults", "13", "--seed", "7", "--timeout-seconds", "150", "--json",
            ])
            let json = try #require(result.output.firstIndex(of: "{").map { String(result.output[$0...]) }, "drt printed: \(result.output.suffix(3000))")
            let report = try JSONDecoder().decode(Report.self, from: Data(json.utf8))
            #expect(report.injected == 13)
            #expect(Set(report.faults.map(\.class)).count == 13, "every class once")
            for fault in report.faults where !fault.detected {
                Issue.record("\(fault.class) on \(fault.target) went undetected")
            }
            #expect(report.detected == 13)
            #expect(result.status == 0)
            #expect(report.faults.allSatisfy { !$0.detected || ($0.verifier != nil && $0.finding != nil && $0.seconds_to_detect != nil) })
        }
    }
}

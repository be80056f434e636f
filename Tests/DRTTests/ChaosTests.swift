import Foundation
import Testing
import VigilCore
import VigilDev
import VigilTestSupport

@Suite("Chaos", .serialized)
struct ChaosTests {
    struct Report: Decodable {
        var events: [String]
        var blocksWritten: Int
        var blocksLost: Int
        var falsePositives: [String]
        var verifiersWithoutPass: [String]
        var samplesPublished: Int64
        var stagesBehind: [String]
    }

    @Test("daemons killed and restarted, Postgres and Kafka restarted, under load: nothing lost, nothing falsely reported, every verifier passes again")
    func smallChaosRun() async throws {
        try await withTestCluster(volumeTargetBytes: 256 << 10, verifiers: true, sampleRate: 0.1) { (cluster: ClusterFile) async throws in
            let result = try Command.runStatus([
                "\(Processes.executableDirectory)/vigil", "chaos", "--cluster", DevCluster.clusterPath(cluster.directory),
                "--seconds", "25", "--seed", "11", "--json",
            ])
            let json = try #require(result.output.firstIndex(of: "{").map { String(result.output[$0...]) }, "\(result.output.suffix(2000))")
            let report = try JSONDecoder().decode(Report.self, from: Data(json.utf8))
            #expect(report.events.contains("restarted PostgreSQL"))
            #expect(report.events.contains("restarted the Kafka broker"))
            #expect(report.events.count >= 5)
            #expect(report.blocksWritten > 100)
            #expect(report.blocksLost == 0)
            #expect(report.falsePositives.isEmpty, "\(report.falsePositives)")
            #expect(report.verifiersWithoutPass.isEmpty, "\(report.verifiersWithoutPass)")
            #expect(report.samplesPublished > 0, "the load's writes were sampled")
            #expect(report.stagesBehind.isEmpty, "every sample checked at every stage: \(report.stagesBehind)")
            #expect(result.status == 0)
        }
    }
}

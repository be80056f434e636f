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
        var blocksDeleted: Int
        var deletesNotHeld: [String]
        var volumesCompacted: Int
        var replicasDrained: Int
        var falsePositives: [String]
        var verifiersWithoutPass: [String]
        var samplesPublished: Int64
        var stagesBehind: [String]
    }

    @Test("deletes, GC and a drain while daemons are killed and PostgreSQL (immediate and fast) and Kafka restarted: nothing lost, every delete held, nothing falsely reported, every verifier passes again",
          .timeLimit(.minutes(6)))
    func smallChaosRun() async throws {
        try await withTestCluster(volumeTargetBytes: 128 << 10, verifiers: true, sampleRate: 0.1) { (cluster: ClusterFile) async throws in
            let result = try Command.runStatus([
                "\(Processes.executableDirectory)/vigil", "chaos", "--cluster", DevCluster.clusterPath(cluster.directory),
                "--seconds", "35", "--seed", "11", "--json",
            ])
            let json = try #require(result.output.firstIndex(of: "{").map { String(result.output[$0...]) }, "\(result.output.suffix(2000))")
            let report = try JSONDecoder().decode(Report.self, from: Data(json.utf8))
            #expect(report.events.contains("restarted PostgreSQL (immediate shutdown: crash recovery)"))
            #expect(report.events.contains("restarted PostgreSQL (fast shutdown)"))
            #expect(report.events.contains("restarted the Kafka broker"))
            #expect(report.events.contains { $0.hasPrefix("kill -9 and restart") }, "\(report.events)")
            #expect(report.events.contains { $0.hasPrefix("drain node-") }, "\(report.events)")
            #expect(report.blocksWritten > 100)
            #expect(report.blocksDeleted > report.blocksWritten / 10, "deletes ran beside the writes: \(report.blocksDeleted) of \(report.blocksWritten)")
            #expect(report.volumesCompacted > 0, "GC compacted what the deletes emptied: \(report.events)")
            #expect(report.replicasDrained > 0, "a drain moved replicas: \(report.events)")
            #expect(report.blocksLost == 0)
            #expect(report.deletesNotHeld.isEmpty, "\(report.deletesNotHeld.prefix(20))")
            #expect(report.falsePositives.isEmpty, "\(report.falsePositives)")
            #expect(report.verifiersWithoutPass.isEmpty, "\(report.verifiersWithoutPass)")
            #expect(report.samplesPublished > 0, "the load's writes were sampled")
            #expect(report.stagesBehind.isEmpty, "every sample checked at every stage: \(report.stagesBehind)")
            #expect(result.status == 0)
        }
    }
}

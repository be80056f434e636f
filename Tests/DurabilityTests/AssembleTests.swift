import Foundation
import Testing
import VigilDurability

@Suite("Durability inputs: measured where recorded, assumed (and said why) where not")
struct AssembleTests {
    func input(_ z: ZoneDurability, _ name: String) -> ReportedInput { z.inputs.first { $0.name == name }! }

    @Test("A zone with no records: every time assumed, each saying what was missing; R assumed; no watcher bound", .timeLimit(.minutes(1)))
    func nothingMeasured() throws {
        let z = try ZoneDurability.assemble(zone: "zone-a", ZoneMeasurements(), drt: nil, assuming: Assumptions())
        #expect(input(z, "repair").kind == .assumed && input(z, "repair").source.contains("no repair done yet"))
        #expect(input(z, "latent-error detection").value == 24 * 7, "half the 14-day production sweep")
        #expect(input(z, "latent-error detection").source.contains("no complete disk-scrubber pass"))
        #expect(input(z, "re-replication").kind == .assumed && input(z, "replication (R)").kind == .assumed)
        #expect(z.notes.contains { $0.contains("no volumes yet") } && z.notes.contains { $0.contains("no sample yet") })
        #expect(z.estimate.nines.isFinite && z.estimate.nines > 0)
    }

    @Test("Ledgers measured: the sweep from the slowest scrubber, repair from the queue, and repair standing in for re-replication", .timeLimit(.minutes(1)))
    func ledgers() throws {
        var m = ZoneMeasurements()
        (m.volumes, m.nodes, m.minReplication, m.maxReplication) = (40, 5, 3, 3)
        m.cadences = [VerifierCadence(verifier: "disk-scrubber", scope: "z/node-1", completePasses: 3, hoursBetweenPasses: 10),
                      VerifierCadence(verifier: "disk-scrubber", scope: "z/node-2", completePasses: 3, hoursBetweenPasses: 30),
                      VerifierCadence(verifier: "metadata-scanner", scope: "z", completePasses: 9, hoursBetweenPasses: 90)]
        (m.repairsDone, m.repairSeconds) = (4, 1_800)
        m.watcherStages = [.init(stage: "1h", samples: 3_000, failures: 0)]
        let z = try ZoneDurability.assemble(zone: "z", m, drt: nil, assuming: Assumptions())
        #expect(input(z, "latent-error detection").value == 15 && input(z, "latent-error detection").kind == .measured)
        #expect(input(z, "repair").value == 0.5 && input(z, "re-replication").value == 0.5)
        #expect(input(z, "re-replication").source.contains("repair times stand in"))
        #expect(input(z, "replication (R)").kind == .configured && input(z, "volumes").value == 40)
        #expect(z.watcher.first?.ruleOfThree == 0.001)

        (m.reReplicationsDone, m.reReplicationSeconds, m.deadAfterSeconds) = (2, 7_200, 600)
        let rr = try ZoneDurability.assemble(zone: "z", m, drt: nil, assuming: Assumptions())
        #expect(input(rr, "re-replication").value == 2 && input(rr, "re-replication").source.contains("re-replications"))
        #expect(input(rr, "node-loss detection").kind == .configured && abs(input(rr, "node-loss detection").value - 1.0 / 6) < 1e-12)
    }

    @Test("A DRT report wins over the ledgers, node faults apart from data faults, and a missed fault is a note", .timeLimit(.minutes(1)))
    func drtReport() throws {
        let json = """
            {"precision": 1, "faults": [
              {"class": "bit_flip_data", "detected": true, "seconds_to_detect": 100, "seconds_to_repair": 160},
              {"class": "latent_sector_error", "detected": true, "seconds_to_detect": 300, "seconds_to_repair": 400},
              {"class": "truncated_extent", "detected": false},
              {"class": "hostile_sample", "detected": true, "seconds_to_detect": 99999},
              {"class": "node_lost", "detected": true, "seconds_to_detect": 720, "seconds_to_repair": 4320}]}
            """
        let drt = try DRTTimes.decode(Data(json.utf8))
        var m = ZoneMeasurements()
        (m.volumes, m.nodes, m.repairsDone, m.repairSeconds) = (10, 4, 1, 50_000)
        let z = try ZoneDurability.assemble(zone: "z", m, drt: drt, assuming: Assumptions())
        #expect(input(z, "latent-error detection").value == 200.0 / 3_600, "median of 100 and 300; the forged sample is not a data fault")
        #expect(input(z, "repair").value == 80.0 / 3_600, "median of 60 and 100 after detection, not the queue's 50,000 s")
        #expect(input(z, "node-loss detection").value == 0.2 && input(z, "re-replication").value == 1)
        #expect(z.notes.contains { $0.contains("DRT missed 1 of 3 data faults") })
        #expect(throws: (any Error).self) { try DRTTimes.decode(Data("{\"precision\": 1}".utf8)) }
    }

    @Test("A recorded R outside the model's range is an error naming the zone, not a crash", .timeLimit(.minutes(1)))
    func badReplication() {
        var m = ZoneMeasurements()
        (m.volumes, m.nodes, m.minReplication, m.maxReplication) = (1, 20, 12, 12)
        #expect(throws: DurabilityError.self) { try ZoneDurability.assemble(zone: "zone-q", m, drt: nil, assuming: Assumptions()) }
        var bad = Assumptions()
        bad.repairSeconds = 0
        #expect(bad.problems.contains { $0.contains("repair") })
    }

    @Test("The JSON report carries every input with its provenance and finite numbers", .timeLimit(.minutes(1)))
    func jsonReport() throws {
        var m = ZoneMeasurements()
        (m.volumes, m.nodes) = (5, 3)
        let report = DurabilityReport(zones: [try ZoneDurability.assemble(zone: "z", m, drt: nil, assuming: Assumptions())])
        let object = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as! [String: Any]
        let zone = (object["zones"] as! [[String: Any]])[0]
        #expect((zone["inputs"] as! [[String: Any]]).count == 9)
        #expect(zone["dominant"] is String && (zone["sensitivity"] as! [Any]).count == Lever.allCases.count)
        #expect((object["nines"] as! Double) > 0 && report.text.contains("SENSITIVITY") && report.text.contains("assumed"))
        #expect(zone["notes"].map { "\($0)" }?.contains("no other node") == true, "3 nodes for R=3: nowhere to re-replicate")
    }
}

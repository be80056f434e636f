import Foundation
import Testing
import VigilDurability

@Suite("Durability estimate: cluster probability, nines, sensitivity")
struct DurabilityInputsTests {
    /// R=3 over 6 nodes, 1000 volumes, Backblaze-like AFR, a 14-day sweep found on average at 7 days.
    static let typical = DurabilityInputs(
        replication: 3, volumes: 1_000, nodes: 6, failuresPerYear: 0.015, latentErrorsPerYear: 0.013,
        nodeLossDetectionHours: 1, latentDetectionHours: 24 * 7, repairHours: 1, reReplicationHours: 24)

    @Test("The annual probability is 1 − exp(−volumes·year/MTTDL) and the MTTDL in years divides by the volumes", .timeLimit(.minutes(1)))
    func clusterProbability() {
        let e = Self.typical.estimate()
        let rate = 1_000 * DurabilityInputs.hoursPerYear / e.groupMTTDLHours
        #expect(abs(e.annualLossProbability - (1 - exp(-rate))) <= 1e-6 * e.annualLossProbability)
        #expect(abs(e.mttdlYears * 1_000 * DurabilityInputs.hoursPerYear - e.groupMTTDLHours) < 1e-6 * e.groupMTTDLHours)
        #expect(abs(e.nines + log10(e.annualLossProbability)) < 1e-12)
        var more = Self.typical
        more.volumes = 10_000
        #expect(abs(e.nines - more.estimate().nines - 1) < 1e-3, "ten times the volumes costs one nine")
    }

    @Test("Latent errors cost nines, and the closed form without them is the more optimistic", .timeLimit(.minutes(1)))
    func latentErrorsCost() {
        var clean = Self.typical
        clean.latentErrorsPerYear = 0
        let e = Self.typical.estimate()
        #expect(clean.estimate().nines > e.nines + 0.5)
        #expect(e.groupMTTDLVisibleOnlyApproxHours > e.groupMTTDLHours)
    }

    @Test("Two replicas on one node are one copy: fewer nodes than R lowers the estimate", .timeLimit(.minutes(1)))
    func fewerNodesThanReplicas() {
        var small = Self.typical
        small.nodes = 2
        #expect(small.independentCopies == 2)
        #expect(small.estimate().nines < Self.typical.estimate().nines - 2)
    }

    @Test("Sensitivity: halving λ buys log10(2³) nines and the window log10(2²) when only deaths count; rows sorted", .timeLimit(.minutes(1)))
    func sensitivityWithoutLatentErrors() {
        var inputs = Self.typical
        inputs.latentErrorsPerYear = 0
        inputs.nodeLossDetectionHours = 1.0 / 3_600
        let rows = inputs.sensitivity()
        #expect(rows.map(\.gain) == rows.map(\.gain).sorted(by: >))
        let gain = Dictionary(uniqueKeysWithValues: rows.map { ($0.lever, $0.gain) })
        #expect(abs(gain[.failureRate]! - log10(8)) < 0.01)
        #expect(abs(gain[.reReplicationTime]! - log10(4)) < 0.01)
        #expect(abs(gain[.repairTime]!) < 1e-6 && abs(gain[.scrubSweep]!) < 1e-6, "latent repair does not matter without latent errors")
        #expect(rows.first?.lever == .failureRate)
    }

    // R=3's likeliest loss is a latent error, then two deaths: the sweep opens
    // the first window, re-replication the second. With R=2 the sweep's window is all there is.
    @Test("With a slow sweep and latent errors, the sweep outweighs every other time, most of all for R=2", .timeLimit(.minutes(1)))
    func scrubDominates() {
        var inputs = Self.typical
        inputs.latentErrorsPerYear = 0.1
        inputs.latentDetectionHours = 24 * 14
        let rows = inputs.sensitivity()
        let gain = Dictionary(uniqueKeysWithValues: rows.map { ($0.lever, $0.gain) })
        #expect(gain[.scrubSweep]! > gain[.repairTime]! * 10)
        #expect(rows.allSatisfy { $0.gain >= -1e-9 }, "halving a time or a rate never costs nines")
        inputs.replication = 2
        let two = Dictionary(uniqueKeysWithValues: inputs.sensitivity().map { ($0.lever, $0.gain) })
        for time in [Lever.repairTime, .reReplicationTime, .nodeLossDetection] {
            #expect(two[.scrubSweep]! > 5 * two[time]!, "\(time)")
        }
        // The latent path's rate is ∝ λℓ·λ·Wℓ: halving Wℓ nearly halves the whole rate.
        #expect(two[.scrubSweep]! > 0.8 * log10(2) && two[.scrubSweep]! <= two[.failureRate]! + 1e-9)
    }

    @Test("Inputs that make the model meaningless are named", .timeLimit(.minutes(1)))
    func problems() {
        #expect(Self.typical.problems.isEmpty)
        var bad = Self.typical
        bad.failuresPerYear = 0
        bad.repairHours = 0
        bad.replication = 0
        let text = bad.problems.joined(separator: "\n")
        #expect(text.contains("failure rate") && text.contains("repair time") && text.contains("replication 0"))
    }

    @Test("Nines: 1e-9 is 9, one decimal, signed gains, short scientific numbers", .timeLimit(.minutes(1)))
    func ninesFormatting() {
        #expect(abs(Nines.of(1e-9) - 9) < 1e-12)
        #expect(Nines.of(0) == .infinity && Nines.format(.infinity) == "∞")
        #expect(Nines.of(1) == 0 && Nines.of(1.5) == 0)
        #expect(Nines.format(9.66) == "9.7")
        #expect(Nines.gain(0.6) == "+0.6" && Nines.gain(-0.34) == "-0.3")
        #expect(Nines.scientific(3.1e-13) == "3.1e-13" && Nines.scientific(0.25) == "0.25" && Nines.scientific(2.5e8) == "2.5e+08")
    }
}

extension DurabilityInputsTests {
    @Test("Durations read in the unit an operator uses", .timeLimit(.minutes(1)))
    func durations() {
        #expect(Nines.duration(hours: 1.0 / 3_600) == "1.0 s")
        #expect(Nines.duration(hours: 0.5) == "30.0 min")
        #expect(Nines.duration(hours: 24) == "24.0 h")
        #expect(Nines.duration(hours: 24 * 7) == "7.0 d")
    }
}

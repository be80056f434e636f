import Foundation
import Testing
import VigilDurability

@Suite("Durability model: the chains against their closed forms")
struct DurabilityModelTests {
    static let year = DurabilityInputs.hoursPerYear

    func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / abs(b) }

    // Two copies, one tolerated loss: T0 = 1/(2λ) + T1 and (λ+μ)·T1 = 1 + μ·T0,
    // so T1 = 1/λ + μ/(2λ²) and T0 = (3λ + μ)/(2λ²), exactly.
    @Test("n=2, m=1: the exact chain is (3λ+μ)/(2λ²), even when repair is no faster than failure", .timeLimit(.minutes(1)))
    func twoCopies() {
        for (lambda, mu) in [(0.02 / Self.year, 1.0), (1.0, 1.0), (0.5, 0.01), (1e-9, 10)] {
            let chain = DurabilityModel.birthDeath(copies: 2, tolerated: 1, failureRate: lambda, repairRate: mu)
            let exact = (3 * lambda + mu) / (2 * lambda * lambda)
            #expect(relative(chain.expectedTimeToAbsorption(from: 0), exact) < 1e-12, "λ=\(lambda) μ=\(mu)")
        }
    }

    @Test("n=3, m=2: the chain meets m!·μ^m/(n(n−1)(n−2)·λ^3) when μ ≫ λ, and leaves it when μ ≈ λ", .timeLimit(.minutes(1)))
    func threeCopies() {
        let lambda = 0.02 / Self.year, mu = 1.0 / 24
        let exact = DurabilityModel.birthDeath(copies: 3, tolerated: 2, failureRate: lambda, repairRate: mu).expectedTimeToAbsorption(from: 0)
        let approx = DurabilityModel.approximateMTTDL(copies: 3, tolerated: 2, failureRate: lambda, repairRate: mu)
        #expect(approx == 2 * mu * mu / (6 * pow(lambda, 3)))
        #expect(relative(exact, approx) < 1e-3)
        let slow = DurabilityModel.birthDeath(copies: 3, tolerated: 2, failureRate: 1, repairRate: 1).expectedTimeToAbsorption(from: 0)
        #expect(relative(slow, DurabilityModel.approximateMTTDL(copies: 3, tolerated: 2, failureRate: 1, repairRate: 1)) > 0.5)
    }

    // anchors.md §3.4 worked numbers (numpy's solve on the same chain): R=3, AFR 2 %.
    @Test("R=3, AFR 2 %: P(loss)/yr per group is 3.1e-13 with a 1 h window and 1.8e-10 with 24 h", .timeLimit(.minutes(1)))
    func publishedNumbers() {
        for (window, published) in [(1.0, 3.1e-13), (24.0, 1.8e-10), (24.0 * 7, 8.8e-9)] {
            let t = DurabilityModel.birthDeath(copies: 3, tolerated: 2, failureRate: 0.02 / Self.year, repairRate: 1 / window)
                .expectedTimeToAbsorption(from: 0)
            #expect(relative(Self.year / t, published) < 0.03, "W=\(window) h: \(Self.year / t)")
        }
    }

    @Test("Without latent errors the latent chain is the birth–death chain of R copies surviving R−1 losses", .timeLimit(.minutes(1)))
    func latentChainReducesToBirthDeath() {
        for n in 1...5 {
            let rates = GroupRates(visibleFailure: 0.015 / Self.year, latentError: 0, visibleRepair: 1.0 / 7, latentRepair: 1.0 / 170)
            let latent = DurabilityModel.latentChain(copies: n, rates: rates).expectedTimeToAbsorption(from: 0)
            let plain = DurabilityModel.birthDeath(copies: n, tolerated: n - 1, failureRate: rates.visibleFailure, repairRate: rates.visibleRepair)
                .expectedTimeToAbsorption(from: 0)
            #expect(relative(latent, plain) < 1e-9, "n=\(n)")
        }
    }

    // Two copies: data is lost by a death then a death or a latent error on the
    // survivor before re-replication, or by a latent error whose partner dies
    // before the scrub finds it: rate ≈ 2λ(λ+λℓ)/μv + 2λℓ·λ/μℓ.
    @Test("n=2 with latent errors: the chain meets the first-order rate, whose scrub term dominates a slow sweep", .timeLimit(.minutes(1)))
    func latentTwoCopies() {
        let r = GroupRates(visibleFailure: 0.02 / Self.year, latentError: 0.05 / Self.year, visibleRepair: 1.0 / 25, latentRepair: 1.0 / 170)
        let exact = DurabilityModel.latentChain(copies: 2, rates: r).expectedTimeToAbsorption(from: 0)
        let visibleFirst = 2 * r.visibleFailure * (r.visibleFailure + r.latentError) / r.visibleRepair
        let latentFirst = 2 * r.latentError * r.visibleFailure / r.latentRepair
        #expect(relative(exact, 1 / (visibleFirst + latentFirst)) < 5e-3)  // second order: about 2λℓ/μℓ
        #expect(latentFirst > visibleFirst)
    }

    @Test("Finding latent errors or dead nodes sooner never loses durability", .timeLimit(.minutes(1)))
    func shorterDetectionIsBetter() {
        var inputs = DurabilityInputsTests.typical
        var last = 0.0
        for hours: Double in [672, 336, 168, 24, 1] {
            inputs.latentDetectionHours = hours
            let t = inputs.estimate().groupMTTDLHours
            #expect(t > last, "latent detection \(hours) h")
            last = t
        }
        last = 0
        for hours in [48.0, 12, 1, 0.1] {
            inputs.nodeLossDetectionHours = hours
            let t = inputs.estimate().groupMTTDLHours
            #expect(t > last, "node-loss detection \(hours) h")
            last = t
        }
    }
}

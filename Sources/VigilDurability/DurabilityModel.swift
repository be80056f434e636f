/// The durability model `vigil durability` evaluates (see README, "Durability"):
/// the Markov chains of one replica group and their closed forms.
public enum DurabilityModel {
    /// The birth–death chain of a group of `copies` fragments that survives
    /// `tolerated` concurrent losses: from i lost, a loss at (n−i)·λ, a repair
    /// at i·μ (every lost fragment is repaired in parallel); m+1 lost is data loss.
    public static func birthDeath(copies n: Int, tolerated m: Int, failureRate lambda: Double, repairRate mu: Double) -> AbsorbingChain {
        precondition(n > m && m >= 0, "a group of \(n) copies cannot survive \(m) losses")
        var chain = AbsorbingChain(states: m + 1)
        for i in 0...m {
            chain.add(from: i, to: i < m ? i + 1 : nil, rate: Double(n - i) * lambda)
            if i > 0 { chain.add(from: i, to: i - 1, rate: Double(i) * mu) }
        }
        return chain
    }

    /// The first-order closed form of the birth–death chain's MTTDL, valid when μ ≫ λ:
    /// m!·μ^m / (n(n−1)…(n−m)·λ^(m+1)).
    public static func approximateMTTDL(copies n: Int, tolerated m: Int, failureRate lambda: Double, repairRate mu: Double) -> Double {
        var denominator = 1.0
        for i in 0...m { denominator *= Double(n - i) * lambda }
        var numerator = 1.0
        for i in stride(from: 1, through: m, by: 1) { numerator *= Double(i) * mu }
        return numerator / denominator
    }

    /// The chain of an R-way replicated group with two ways to lose a copy
    /// (after Schwarz et al. 2004 and Iliadis et al. 2008). State (a, b): a
    /// copies lost to visible failures (disk or node death), b of the
    /// survivors carrying a latent error nobody has found yet. A visible loss
    /// is detected and re-replicated at rate μv each; a latent error is found
    /// by the next scrub and repaired at rate μℓ each. Latent errors on two
    /// copies are taken to hit different blocks (a sector against a volume), so
    /// data is lost when every copy is gone, or when the last survivor carries a
    /// latent error: the blocks it cannot serve have no other copy.
    public static func latentChain(copies n: Int, rates: GroupRates) -> AbsorbingChain {
        precondition(n >= 1, "a group needs a copy")
        let states = (0..<n).flatMap { a in (0...(n - a)).map { (a, $0) } }.filter { !isLoss(a: $0.0, b: $0.1, copies: n) }
        var index: [Pair: Int] = [:]
        for (i, s) in states.enumerated() { index[Pair(a: s.0, b: s.1)] = i }
        func target(_ a: Int, _ b: Int) -> Int? { index[Pair(a: a, b: b)] }
        var chain = AbsorbingChain(states: states.count)
        for (i, (a, b)) in states.enumerated() {
            let clean = n - a - b
            chain.add(from: i, to: target(a + 1, b), rate: Double(clean) * rates.visibleFailure)
            chain.add(from: i, to: target(a + 1, b - 1), rate: Double(b) * rates.visibleFailure)
            chain.add(from: i, to: target(a, b + 1), rate: Double(clean) * rates.latentError)
            if a > 0 { chain.add(from: i, to: target(a - 1, b), rate: Double(a) * rates.visibleRepair) }
            if b > 0 { chain.add(from: i, to: target(a, b - 1), rate: Double(b) * rates.latentRepair) }
        }
        return chain
    }

    static func isLoss(a: Int, b: Int, copies n: Int) -> Bool { a >= n || (a == n - 1 && b >= 1) }

    private struct Pair: Hashable { var a, b: Int }
}

/// The per-copy rates, per hour, of one replica group's chain.
public struct GroupRates: Sendable, Equatable {
    /// λ: disk or node deaths, which the system sees.
    public var visibleFailure: Double
    /// λℓ: latent errors (a sector that no longer reads back right), which only a read finds.
    public var latentError: Double
    /// μv = 1 / (time to declare the copy lost + time to re-replicate it).
    public var visibleRepair: Double
    /// μℓ = 1 / (time until a scrub finds the error + time to repair it).
    public var latentRepair: Double

    public init(visibleFailure: Double, latentError: Double, visibleRepair: Double, latentRepair: Double) {
        self.visibleFailure = visibleFailure
        self.latentError = latentError
        self.visibleRepair = visibleRepair
        self.latentRepair = latentRepair
    }
}

import Foundation

/// The model's answer for one zone.
public struct DurabilityEstimate: Sendable, Equatable, Codable {
    /// Expected time until one replica group loses data (exact chain), hours.
    public var groupMTTDLHours: Double
    /// The same from the closed form with latent errors left out (visible failures only), hours.
    public var groupMTTDLVisibleOnlyApproxHours: Double
    /// Expected time until any volume of the zone loses data, years.
    public var mttdlYears: Double
    /// P(some volume loses data within a year) = 1 − exp(−volumes·year / MTTDL_group).
    public var annualLossProbability: Double
    /// −log10 of the annual loss probability.
    public var nines: Double
}

extension DurabilityInputs {
    /// Evaluates the latent-error chain and the cluster-level probability. Volumes
    /// are taken as independent groups (optimistic: a node's death touches every
    /// volume on it at once). A zone with no volumes yet is estimated for one.
    public func estimate() -> DurabilityEstimate {
        let n = independentCopies
        let rates = rates
        let group = DurabilityModel.latentChain(copies: n, rates: rates).expectedTimeToAbsorption(from: 0)
        let approx = DurabilityModel.approximateMTTDL(
            copies: n, tolerated: n - 1, failureRate: rates.visibleFailure, repairRate: rates.visibleRepair)
        let groups = Double(max(volumes, 1))
        let lossRatePerYear = groups * Self.hoursPerYear / group
        let probability = -expm1(-lossRatePerYear)
        return DurabilityEstimate(
            groupMTTDLHours: group, groupMTTDLVisibleOnlyApproxHours: approx,
            mttdlYears: group / groups / Self.hoursPerYear,
            annualLossProbability: probability, nines: Nines.of(probability))
    }
}

/// Durability in nines: 0.999 is 3 nines; loss probability p is −log10(p) nines.
public enum Nines {
    public static func of(_ lossProbability: Double) -> Double {
        lossProbability > 0 ? -log10(min(lossProbability, 1)) : .infinity
    }

    /// "9.7" (one decimal), "∞" when nothing is ever lost.
    public static func format(_ nines: Double) -> String {
        nines.isFinite ? String(format: "%.1f", nines) : "∞"
    }

    /// A probability or a large number in a fixed short form: "3.1e-13", "0.25", "12.5".
    public static func scientific(_ x: Double) -> String {
        guard x.isFinite else { return "∞" }
        if x != 0, abs(x) < 1e-3 || abs(x) >= 1e6 { return String(format: "%.1e", x) }
        return String(format: "%.3g", x)
    }

    /// A duration given in hours, in the unit an operator reads it: "4.0 s", "12.5 min", "3.0 h", "7.0 d".
    public static func duration(hours: Double) -> String {
        let seconds = hours * 3_600
        if seconds < 60 { return String(format: "%.1f s", seconds) }
        if seconds < 3_600 { return String(format: "%.1f min", seconds / 60) }
        if hours < 48 { return String(format: "%.1f h", hours) }
        return String(format: "%.1f d", hours / 24)
    }

    /// A change in nines with its sign: "+0.6", "-0.3", "+0.0".
    public static func gain(_ delta: Double) -> String {
        delta.isFinite ? String(format: "%+.1f", delta) : "+∞"
    }
}

import Foundation

/// The model-free bound the storage watcher gives: N samples read back at a
/// stage with k failures bound the per-block loss probability by that age,
/// whatever caused the losses (software and operators included), at the
/// stated confidence. Weak (10⁻⁶ needs about 3 million clean samples) but true
/// without a single assumption about failure rates.
public enum WatcherBound {
    /// The rule of three: with N clean samples the loss rate is below about 3/N at 95%.
    public static func ruleOfThree(samples: Int) -> Double {
        samples > 0 ? min(1, 3 / Double(samples)) : 1
    }

    /// The exact one-sided Clopper–Pearson upper bound: the p at which k or
    /// fewer failures in N samples has probability 1 − confidence. With k = 0
    /// this is 1 − (1 − confidence)^(1/N).
    public static func upperBound(samples n: Int, failures k: Int, confidence: Double = 0.95) -> Double {
        precondition(confidence > 0 && confidence < 1, "confidence is a probability")
        guard n > 0, k < n else { return 1 }
        let alpha = 1 - confidence
        if k <= 0 { return -expm1(log(alpha) / Double(n)) }
        // P(X ≤ k) falls as p grows: bisect for the p where it crosses alpha.
        var low = 0.0, high = 1.0
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if binomialCDF(k, n, mid) > alpha { low = mid } else { high = mid }
        }
        return high
    }

    /// P(X ≤ k) for X ~ Binomial(n, p), summed in logs so large n does not overflow.
    static func binomialCDF(_ k: Int, _ n: Int, _ p: Double) -> Double {
        guard p > 0 else { return 1 }
        guard p < 1 else { return k >= n ? 1 : 0 }
        let logP = log(p), logQ = log1p(-p), logNFact = logFactorial(Double(n))
        var sum = 0.0
        for i in 0...k {
            let d = Double(i)
            sum += exp(logNFact - logFactorial(d) - logFactorial(Double(n) - d) + d * logP + (Double(n) - d) * logQ)
        }
        return min(sum, 1)
    }

    static func logFactorial(_ x: Double) -> Double {
        let value: Double = lgamma(x + 1)
        return value
    }
}

/// One watcher stage's samples and the bound they give.
public struct StageBound: Sendable, Equatable, Codable {
    public var stage: String
    public var samples: Int
    public var failures: Int
    /// 3/N (rule of three), meaningful when there were no failures.
    public var ruleOfThree: Double
    /// The exact 95% upper bound on the per-block loss probability by this stage's age.
    public var upperBound95: Double

    public init(stage: String, samples: Int, failures: Int) {
        self.stage = stage
        self.samples = max(samples, 0)
        self.failures = max(failures, 0)
        ruleOfThree = WatcherBound.ruleOfThree(samples: self.samples)
        upperBound95 = WatcherBound.upperBound(samples: self.samples, failures: self.failures)
    }
}

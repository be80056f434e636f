import Foundation
import Testing
@testable import VigilDurability

@Suite("Watcher bound: the rule of three and Clopper–Pearson")
struct WatcherBoundTests {
    @Test("No failures in N samples: exactly 1 − 0.05^(1/N), about 3/N", .timeLimit(.minutes(1)))
    func ruleOfThree() {
        for n in [1, 10, 300, 3_000_000] {
            let exact = 1 - pow(0.05, 1 / Double(n))
            #expect(abs(WatcherBound.upperBound(samples: n, failures: 0) - exact) <= 1e-9 * exact, "N=\(n)")
        }
        let n = 3_000_000
        #expect(abs(WatcherBound.ruleOfThree(samples: n) / WatcherBound.upperBound(samples: n, failures: 0) - 3 / -log(0.05)) < 1e-4)
        #expect(WatcherBound.ruleOfThree(samples: 0) == 1 && WatcherBound.upperBound(samples: 0, failures: 0) == 1)
    }

    @Test("With failures the bound is where P(X ≤ k) = 5 %, above the failures' share, growing with k", .timeLimit(.minutes(1)))
    func clopperPearson() {
        let one = WatcherBound.upperBound(samples: 100, failures: 1)
        #expect(abs(WatcherBound.binomialCDF(1, 100, one) - 0.05) < 1e-9)
        #expect(abs(one - 0.0466) < 0.0005, "the textbook one-sided 95 % bound for 1 in 100")
        let big = WatcherBound.upperBound(samples: 1_000_000, failures: 3)
        #expect(big > 3e-6 && big < 1e-5)
        #expect(WatcherBound.upperBound(samples: 100, failures: 2) > one)
        #expect(WatcherBound.upperBound(samples: 5, failures: 5) == 1)
    }

    @Test("A stage's row carries its samples, failures and both bounds; nonsense counts are clamped", .timeLimit(.minutes(1)))
    func stageRow() {
        let row = StageBound(stage: "1h", samples: 3_000, failures: 0)
        #expect(row.ruleOfThree == 0.001 && abs(row.upperBound95 - (1 - pow(0.05, 1.0 / 3_000))) < 1e-15)
        #expect(StageBound(stage: "1d", samples: -4, failures: -1).upperBound95 == 1)
    }
}

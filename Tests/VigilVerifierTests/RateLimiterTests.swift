import Testing
import VigilVerifier

@Suite(.timeLimit(.minutes(1))) struct RateLimiterTests {
    let start = ContinuousClock.now

    @Test func unlimitedNeverWaits() {
        var limiter = RateLimiter(rate: nil)
        #expect(limiter.acquire(1e12, now: start) == .zero)
    }

    @Test func burstIsFreeThenTheRateHolds() {
        var limiter = RateLimiter(rate: 1000, burst: 1000)
        #expect(limiter.acquire(1000, now: start) == .zero)
        // The next 500 units owe half a second.
        #expect(limiter.acquire(500, now: start) == .milliseconds(500))
    }

    @Test("over any long run, units taken never exceed rate × time + burst")
    func longRunRateHolds() {
        var limiter = RateLimiter(rate: 10_000, burst: 10_000)
        var now = start
        var taken = 0.0
        for i in 0..<10_000 {
            let amount = Double((i * 7919) % 3000)
            let wait = limiter.acquire(amount, now: now)
            now += wait  // a caller that obeys the limiter
            taken += amount
            now += .microseconds((i * 31) % 200)
        }
        let elapsed = now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        #expect(taken <= 10_000 * seconds + 10_000 + 1)
        #expect(taken >= 10_000 * seconds * 0.9, "the limiter does not starve an obedient caller")
    }

    @Test func idleTimeRefillsOnlyUpToTheBurst() {
        var limiter = RateLimiter(rate: 100, burst: 50)
        _ = limiter.acquire(50, now: start)
        // An hour idle buys only the burst, not an hour of credit.
        #expect(limiter.acquire(50, now: start + .seconds(3600)) == .zero)
        #expect(limiter.acquire(100, now: start + .seconds(3600)) == .seconds(1))
    }
}

@Suite(.timeLimit(.minutes(1))) struct PassProgressTests {
    let start = ContinuousClock.now

    @Test func etaComesFromTheRecentRateAndRatioNeverPassesOne() {
        var progress = PassProgress(total: 1000)
        progress.record(done: 0, at: start)
        progress.record(done: 100, at: start + .seconds(10))
        #expect(progress.rate == 10)
        #expect(progress.etaSeconds == 90)
        progress.record(done: 1500, at: start + .seconds(20))  // the estimate was low
        #expect(progress.ratio == 1)
        #expect(progress.etaSeconds == 0)
    }

    @Test func afterAResumeTheRateCountsOnlyNewWork() {
        // 900 of 1000 were done before the restart; 10 per second since.
        var progress = PassProgress(total: 1000, done: 900)
        progress.record(done: 900, at: start)
        progress.record(done: 950, at: start + .seconds(5))
        #expect(progress.ratio == 0.95)
        #expect(progress.rate == 10)
        #expect(progress.etaSeconds == 5)
    }

    @Test func unknownRateHasNoEta() {
        var progress = PassProgress(total: 10)
        progress.record(done: 1, at: start)
        #expect(progress.etaSeconds == nil)
    }
}

@Suite(.timeLimit(.minutes(1))) struct PassRateSizingTests {
    struct Check: SweepCheck {
        func estimatePass() async throws -> PassEstimate { PassEstimate(units: 0, unit: .bytes) }
        func step(at cursor: Int?, limiter: SharedRateLimiter) async throws -> Step<Int> { fatalError("not stepped") }
    }

    @Test func aNodeThatStartedEmptyIsNotPinnedAtTheFloor() {
        let sweep = Duration.seconds(100)
        // Empty at the first pass: the floor. 1 GB at a later pass: 10 MB/s, the sweep's need.
        #expect(VerifierRunner<Check>.sizedRate(units: 0, sweepPeriod: sweep, floor: 1_048_576) == Double(1 << 20))
        #expect(VerifierRunner<Check>.sizedRate(units: 1e9, sweepPeriod: sweep, floor: 1_048_576) == 1e7)
        #expect(VerifierRunner<Check>.sizedRate(units: 2e9, sweepPeriod: sweep, floor: 1_048_576) == 2e7)
        // An operator's fixed rate (no floor) or an unsized verifier is never re-sized.
        #expect(VerifierRunner<Check>.sizedRate(units: 1e9, sweepPeriod: sweep, floor: nil) == nil)
        #expect(VerifierRunner<Check>.sizedRate(units: 1e9, sweepPeriod: .zero, floor: 1) == nil)
    }

    @Test func aResizedLimiterPacesAtTheNewRate() {
        var limiter = RateLimiter(rate: 10, burst: 10)
        let now = ContinuousClock.now
        _ = limiter.acquire(10, now: now)
        #expect(limiter.acquire(10, now: now) == .seconds(1))
        limiter.rate = 100
        #expect(limiter.acquire(100, now: now) == .milliseconds(1100))
    }
}

/// A token bucket: `rate` units per second, bursts up to `burst` units.
/// A pure value: it reads no clock; callers pass the time, so it is unit-tested
/// without waiting.
public struct RateLimiter: Sendable {
    /// Units per second; `nil` means unlimited.
    public var rate: Double?
    public var burst: Double
    private var available: Double
    private var last: ContinuousClock.Instant?

    public init(rate: Double?, burst: Double? = nil) {
        self.rate = rate
        self.burst = burst ?? max(rate ?? 0, 1)
        available = self.burst
    }

    /// Takes `amount` units at time `now`; returns how long the caller must
    /// wait before going on so that the long-run rate stays at `rate`.
    public mutating func acquire(_ amount: Double, now: ContinuousClock.Instant) -> Duration {
        guard let rate, rate > 0 else { return .zero }
        if let last {
            let elapsed = now - last
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            available = min(burst, available + seconds * rate)
        }
        last = now
        available -= amount
        guard available < 0 else { return .zero }
        return .nanoseconds(Int64((-available / rate) * 1e9))
    }
}

import Foundation
import Synchronization

/// A rate limiter shared by a daemon's lanes, usable from I/O threads
/// (`throttle`, which sleeps the calling thread) and from tasks (`wait`).
public final class SharedRateLimiter: Sendable {
    private let limiter: Mutex<RateLimiter>

    public init(rate: Double?, burst: Double? = nil) {
        limiter = Mutex(RateLimiter(rate: rate, burst: burst))
    }

    /// A new long-run rate from now on (`nil`: unlimited); the burst stays.
    public func resize(rate: Double?) {
        limiter.withLock { $0.rate = rate }
    }

    /// Blocks the calling (non-cooperative) thread as long as the rate requires.
    public func throttle(_ amount: Int) {
        let delay = limiter.withLock { $0.acquire(Double(amount), now: .now) }
        if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18) }
    }

    public func wait(_ amount: Int) async {
        let delay = limiter.withLock { $0.acquire(Double(amount), now: .now) }
        if delay > .zero { try? await Task.sleep(for: delay) }
    }
}

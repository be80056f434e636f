import Foundation
import Synchronization
import VigilVerifier

/// The scrubber's second lane: rescans extents modified recently (where fresh
/// writes and repairs land) far more often than the full sweep comes round,
/// under the sweep's bookkeeping and rate limit.
final class RecentExtents: Sendable {
    private struct Seen {
        /// The mtime of each file when it was last scanned.
        var scanned: [String: Date] = [:]
        /// The start of the last round that went through: a later round covers
        /// everything modified since, however long failures held it up.
        var coveredSince: Date?
    }

    private let scrubber: DiskScrubber
    private let limiter: SharedRateLimiter
    private let seen = Mutex(Seen())

    init(scrubber: DiskScrubber, limiter: SharedRateLimiter) {
        self.scrubber = scrubber
        self.limiter = limiter
    }

    /// Scans every extent modified within the window, or since the last round
    /// that went through if that is earlier, and not scanned since. A round that
    /// fails is retried by the lane: what it scanned stays scanned, nothing
    /// modified meanwhile falls out of the next round.
    func scanRecent(_ book: VerifierBookkeeping, lane: String) async throws {
        let started = Date()
        let window = scrubber.config.recentWindow
        let windowStart = started.addingTimeInterval(-(Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18))
        let since = seen.withLock { min(windowStart, $0.coveredSince ?? windowStart) }
        for file in try await scrubber.directory.list() where file.mtime > since {
            if seen.withLock({ $0.scanned[file.path] }) == file.mtime { continue }
            try await book.record(try await scrubber.scan(file.path, limiter: limiter), lane: lane)
            seen.withLock { $0.scanned[file.path] = file.mtime }
        }
        seen.withLock { s in
            s.coveredSince = started
            s.scanned = s.scanned.filter { $0.value > windowStart }
        }
    }
}

extension DiskScrubber {
    /// The scrubber's lanes under one bookkeeping and one rate limit: the full
    /// sweep and the recent lane (overdue on `/healthz` when a round has not
    /// finished within the recent window of being due).
    public func lanes(book: VerifierBookkeeping, limiter: SharedRateLimiter, settings: VerifierRunner<DiskScrubber>.Settings) -> (sweep: VerifierRunner<DiskScrubber>, recent: PeriodicLane) {
        let recent = RecentExtents(scrubber: self, limiter: limiter)
        return (
            VerifierRunner(check: self, book: book, limiter: limiter, settings: settings),
            PeriodicLane("recent", every: config.recentInterval, overdueAfter: config.recentWindow, book: book) { try await recent.scanRecent($0, lane: $1) }
        )
    }
}

import Foundation
import Synchronization
import VigilVerifier

/// The scrubber's second lane: rescans extents modified recently (where fresh
/// writes and repairs land) far more often than the full sweep comes round,
/// under the sweep's bookkeeping and rate limit.
final class RecentExtents: Sendable {
    private let scrubber: DiskScrubber
    private let limiter: SharedRateLimiter
    private let scanned = Mutex<[String: Date]>([:])

    init(scrubber: DiskScrubber, limiter: SharedRateLimiter) {
        self.scrubber = scrubber
        self.limiter = limiter
    }

    /// Scans every extent modified within the window and not scanned since.
    func scanRecent(_ book: VerifierBookkeeping, lane: String) async throws {
        let window = scrubber.config.recentWindow
        let since = Date().addingTimeInterval(-(Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18))
        for file in try await scrubber.directory.list() where file.mtime > since {
            if scanned.withLock({ $0[file.path] }) == file.mtime { continue }
            try await book.record(try await scrubber.scan(file.path, limiter: limiter), lane: lane)
            scanned.withLock { $0[file.path] = file.mtime }
        }
    }
}

extension DiskScrubber {
    /// The scrubber's lanes under one bookkeeping and one rate limit: the full
    /// sweep and the recent lane.
    public func lanes(book: VerifierBookkeeping, limiter: SharedRateLimiter, settings: VerifierRunner<DiskScrubber>.Settings) -> (sweep: VerifierRunner<DiskScrubber>, recent: PeriodicLane) {
        let recent = RecentExtents(scrubber: self, limiter: limiter)
        return (
            VerifierRunner(check: self, book: book, limiter: limiter, settings: settings),
            PeriodicLane("recent", every: config.recentInterval, book: book) { try await recent.scanRecent($0, lane: $1) }
        )
    }
}

import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import VigilVerifier

/// The scrubber's second lane: rescans extents modified recently (where fresh
/// writes and repairs land) far more often than the full sweep comes round.
public final class RecentExtentLane: Service, Sendable {
    private let scrubber: DiskScrubber
    private let ledger: VerifierLedger
    private let limiter: SharedRateLimiter
    private let logger: Logger
    private let scanned = Mutex<[String: Date]>([:])

    public init(scrubber: DiskScrubber, ledger: VerifierLedger, limiter: SharedRateLimiter, logger: Logger) {
        self.scrubber = scrubber
        self.ledger = ledger
        self.limiter = limiter
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await scanRecent()
            } catch {
                logger.error("recent lane failed; retrying", metadata: ["vigil.error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.scrubber.config.recentInterval) }
        }
    }

    /// Scans every extent modified within the window and not scanned since.
    func scanRecent() async throws {
        let window = scrubber.config.recentWindow
        let since = Date().addingTimeInterval(-(Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18))
        for file in try await scrubber.directory.list() where file.mtime > since {
            if scanned.withLock({ $0[file.path] }) == file.mtime { continue }
            let outcome = try await scrubber.scan(file.path, limiter: limiter)
            try await ledger.apply(outcome)
            scanned.withLock { $0[file.path] = file.mtime }
        }
    }
}

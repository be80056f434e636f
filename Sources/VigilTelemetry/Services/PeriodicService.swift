import Logging
import ServiceLifecycle

/// Repeats `step` until graceful shutdown or cancellation; each step returns how
/// long to wait before the next, and a wait ends early at graceful shutdown.
/// The one loop every periodic piece of work runs in.
public func repeatUntilShutdown(_ step: () async -> Duration) async {
    while !Task.isShuttingDownGracefully, !Task.isCancelled {
        let wait = await step()
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
    }
}

/// Work done every `interval` for the life of the daemon, reporting its own
/// health: healthy after a round that succeeded, unhealthy with the error after
/// one that threw (logged; the next round runs all the same). With
/// `overdueAfter` (the most a round may take), a round that has not finished
/// that long after it was due makes the health overdue.
public struct PeriodicService: Service {
    public let name: String
    let interval: Duration
    let health: HealthBoard?
    let overdueAfter: Duration?
    let logger: Logger
    let round: @Sendable () async throws -> Void

    public init(
        name: String, every interval: Duration, health: HealthBoard? = nil, overdueAfter: Duration? = nil, logger: Logger,
        round: @escaping @Sendable () async throws -> Void
    ) {
        self.name = name
        self.interval = interval
        self.health = health
        self.overdueAfter = overdueAfter
        self.logger = logger
        self.round = round
    }

    public func run() async throws {
        health?.report(name, HealthReport(healthy: true, detail: "first round running"), nextWithin: overdueAfter)
        await repeatUntilShutdown {
            do {
                try await round()
                report(.ok)
            } catch is CancellationError {
                // Shutting down: not a fault of the work.
            } catch {
                logger.error("periodic work failed; retrying next round", metadata: [LogKey.service: "\(name)", LogKey.error: "\(error)"])
                report(HealthReport(healthy: false, detail: "\(error)"))
            }
            return interval
        }
    }

    private func report(_ report: HealthReport) {
        health?.report(name, report, nextWithin: overdueAfter.map { interval + $0 })
    }
}

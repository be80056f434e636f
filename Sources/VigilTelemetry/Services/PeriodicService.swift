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
/// one that threw (logged; the next round runs all the same).
public struct PeriodicService: Service {
    public let name: String
    let interval: Duration
    let health: HealthBoard?
    let logger: Logger
    let round: @Sendable () async throws -> Void

    public init(
        name: String, every interval: Duration, health: HealthBoard? = nil, logger: Logger,
        round: @escaping @Sendable () async throws -> Void
    ) {
        self.name = name
        self.interval = interval
        self.health = health
        self.logger = logger
        self.round = round
    }

    public func run() async throws {
        await repeatUntilShutdown {
            do {
                try await round()
                health?.report(name, .ok)
            } catch is CancellationError {
                // Shutting down: not a fault of the work.
            } catch {
                logger.error("periodic work failed; retrying next round", metadata: [LogKey.service: "\(name)", LogKey.error: "\(error)"])
                health?.report(name, HealthReport(healthy: false, detail: "\(error)"))
            }
            return interval
        }
    }
}

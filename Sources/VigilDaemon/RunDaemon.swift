import Logging
import ServiceLifecycle

/// How long a daemon's services get to finish after SIGTERM before they are
/// cancelled, and how long cancelled services get before the daemon exits anyway.
public struct ShutdownDeadline: Sendable {
    public var graceful: Duration = .seconds(20)
    public var afterCancellation: Duration = .seconds(5)

    public init() {}
}

/// The service group a daemon runs: `services` started in order and shut down in
/// reverse (list the HTTP server last so it stops taking requests first), within
/// `deadline`, on SIGTERM or SIGINT (with `onSignals`) or `triggerGracefulShutdown()`.
public func daemonServiceGroup(
    _ services: [any Service], onSignals: Bool = true, deadline: ShutdownDeadline = .init(), logger: Logger
) -> ServiceGroup {
    var configuration = ServiceGroupConfiguration(
        services: services.map { .init(service: $0) }, gracefulShutdownSignals: onSignals ? [.sigterm, .sigint] : [], logger: logger)
    configuration.maximumGracefulShutdownDuration = deadline.graceful
    configuration.maximumCancellationDuration = deadline.afterCancellation
    return ServiceGroup(configuration: configuration)
}

/// Runs a daemon's services until SIGTERM or SIGINT, then shuts them down gracefully within `deadline`.
public func runDaemon(_ services: [any Service], deadline: ShutdownDeadline = .init(), logger: Logger) async throws {
    try await daemonServiceGroup(services, deadline: deadline, logger: logger).run()
}

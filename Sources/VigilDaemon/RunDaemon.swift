import Logging
import ServiceLifecycle

/// Runs a daemon's services until SIGTERM or SIGINT, then shuts them down gracefully.
public func runDaemon(_ services: [any Service], logger: Logger) async throws {
    let group = ServiceGroup(
        configuration: .init(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
    try await group.run()
}

import ServiceLifecycle

/// A resource whose end is part of the daemon's graceful shutdown (flushing the
/// Kafka producer, closing a pool): `run()` waits for graceful shutdown, then
/// runs `action`, within the daemon's shutdown deadline.
public struct ShutdownAction: Service {
    let action: @Sendable () async -> Void

    public init(_ action: @escaping @Sendable () async -> Void) {
        self.action = action
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await action()
    }
}

import Logging
import ServiceLifecycle

/// Every few seconds, drops extents whose files vanished from the index.
public struct DiskWatch: Service {
    let store: NodeStore
    let interval: Duration
    let logger: Logger

    public init(store: NodeStore, interval: Duration, logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            for name in store.forgetVanishedExtents() {
                logger.error("extent vanished from disk; no longer reported present", metadata: ["vigil.extent": "\(name)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

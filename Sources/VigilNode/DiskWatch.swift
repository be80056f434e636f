import Logging
import ServiceLifecycle
import VigilCore

/// Every few seconds (`--disk-check-ms`), compares every indexed extent with
/// the file at its name and reindexes those that vanished or changed under the
/// node (`NodeStore.checkExtentsOnDisk`).
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
            let store = store
            let changes = (try? await blockingIO { store.checkExtentsOnDisk() }) ?? []
            for change in changes {
                logger.error("extent changed on disk under the node; presence now follows the file as it is", metadata: [
                    "vigil.extent": "\(change.name)", "vigil.location": "\(change.location.rawValue)",
                    "vigil.reason": "\(change.reason)", "vigil.outcome": "\(change.outcome.rawValue)",
                ])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}

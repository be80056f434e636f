import Logging
import ServiceLifecycle
import VigilCore
import VigilTelemetry

/// Every few seconds (`--disk-check-ms`), compares every indexed extent with
/// the file at its name and reindexes those that vanished or changed under the
/// node (`NodeStore.checkExtentsOnDisk`). Reports `disk_watch` on `health`:
/// unhealthy while the check cannot run.
public struct DiskWatch: Service {
    let periodic: PeriodicService

    public init(store: NodeStore, interval: Duration, health: HealthBoard? = nil, logger: Logger) {
        periodic = PeriodicService(name: "disk_watch", every: interval, health: health, logger: logger) {
            let changes = try await blockingIO { store.checkExtentsOnDisk() }
            for change in changes {
                logger.error("extent changed on disk under the node; presence now follows the file as it is", metadata: [
                    LogKey.extent: "\(change.name)", "vigil.location": "\(change.location.rawValue)",
                    "vigil.reason": "\(change.reason)", "vigil.outcome": "\(change.outcome.rawValue)",
                ])
            }
        }
    }

    public func run() async throws {
        try await periodic.run()
    }
}

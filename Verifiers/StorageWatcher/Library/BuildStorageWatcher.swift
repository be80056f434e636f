import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import VigilTelemetry
import VigilVerifier

/// Assembles the storage watcher: one consumer-group stage per delay, and
/// `/metrics` and `/healthz`. A black box: it reads only through the public
/// frontend API, Kafka and the verifier runtime.
public func buildStorageWatcher(config: StorageWatcherConfig, registry: PrometheusCollectorRegistry?, logger: Logger) -> [any Service] {
    let health = WatcherHealth()
    var services: [any Service] = config.stages.map { stage in
        WatchStage(
            config: config, stage: stage,
            ledger: VerifierLedger(databaseURL: config.databaseURL, verifier: "storage-watcher", scope: "\(config.zone)/\(stage.name)"),
            health: health, logger: logger)
    }
    let router = Router()
    router.addTelemetryRoutes(registry: registry) { health.report() }
    services.append(Application(
        router: router, server: .vigil(.control), configuration: .init(address: .hostname(config.host, port: config.port), serverName: "vigil-storage-watcher"),
        logger: logger))
    logger.info("storage watcher configured", metadata: [
        "vigil.stages": "\(config.stages.map(\.name).joined(separator: ","))", "vigil.topic": "\(config.topic)",
    ])
    return services
}

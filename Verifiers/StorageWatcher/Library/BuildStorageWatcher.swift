import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import VigilKafka
import VigilTelemetry
import VigilVerifier

/// Assembles the storage watcher: one consumer-group stage per delay, and
/// `/metrics` and `/healthz`. A black box: it reads only through the public
/// frontend API, Kafka and the verifier runtime.
public func buildStorageWatcher(config: StorageWatcherConfig, registry: PrometheusCollectorRegistry?, logger: Logger) -> [any Service] {
    // One board: `/healthz` is unhealthy, with the reason, while any stage cannot
    // consume Kafka, the frontend does not answer its reads, or the findings
    // database cannot record results. A failed stage restarts its consumer
    // after 2 s, backing off to 10 s.
    let board = LaneBoard()
    let retry = RetryBackoff(first: .seconds(2), longest: .seconds(10), afterPermanent: .seconds(10))
    var services: [any Service] = config.stages.map { stage in
        let ledger = VerifierLedger(databaseURL: config.databaseURL, verifier: "storage-watcher", scope: "\(config.zone)/\(stage.name)")
        return WatchStage(config: config, stage: stage, book: VerifierBookkeeping(ledger: ledger, retry: retry, board: board, logger: logger), logger: logger)
    }
    let router = Router()
    router.addTelemetryRoutes(registry: registry) { board.report() }
    services.append(Application(
        router: router, server: .vigil(.control), configuration: .init(address: .hostname(config.host, port: config.port), serverName: "vigil-storage-watcher"),
        logger: logger))
    logger.info("storage watcher configured", metadata: [
        "vigil.stages": "\(config.stages.map(\.name).joined(separator: ","))", "vigil.topic": "\(config.topic)",
    ])
    return services
}

extension KafkaError: RetriableError {}

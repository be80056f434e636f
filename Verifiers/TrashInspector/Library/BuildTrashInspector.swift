import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import VigilPostgres
import VigilTelemetry
import VigilVerifier

/// Assembles the trash inspector daemon.
public func buildTrashInspector(config: TrashInspectorConfig, registry: PrometheusCollectorRegistry?, logger: Logger) -> [any Service] {
    let pool = PostgresPool(url: config.databaseURL, size: 3)
    let runner = VerifierRunner(
        check: TrashInspector(config: config, pool: pool, logger: logger),
        ledger: VerifierLedger(pool: pool, verifier: TrashInspector.verifier, scope: config.zone),
        limiter: SharedRateLimiter(rate: nil), settings: .init(passInterval: config.passInterval), logger: logger)
    let router = Router()
    router.addTelemetryRoutes(registry: registry) { runner.health() }
    let app = Application(
        router: router, server: .vigil(.control), configuration: .init(address: .hostname(config.host, port: config.port), serverName: "vigil-trash-inspector"),
        logger: logger)
    return [runner, app]
}

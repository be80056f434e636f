import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import VigilPostgres
import VigilTelemetry
import VigilVerifier

/// Assembles the cross-zone verifier: the sweep (ledger in the journal's
/// database, scope `global`) and its `/metrics` and `/healthz`.
public func buildCrossZoneVerifier(config: CrossZoneConfig, registry: PrometheusCollectorRegistry?, logger: Logger) -> [any Service] {
    let journal = PostgresPool(url: config.journalURL, size: 3)
    let verifier = CrossZoneVerifier(config: config, journal: journal)
    let runner = VerifierRunner(
        check: verifier, ledger: VerifierLedger(pool: journal, verifier: "cross-zone-verifier", scope: "global"),
        limiter: SharedRateLimiter(rate: config.rateKeysPerSecond, burst: Double(config.pageSize) * 2),
        settings: .init(passInterval: config.passInterval), logger: logger)
    let router = Router()
    router.addTelemetryRoutes(registry: registry) { runner.health() }
    let app = Application(
        router: router, server: .vigil(.control), configuration: .init(address: .hostname(config.host, port: config.port), serverName: "vigil-cross-zone-verifier"),
        logger: logger)
    return [runner, app]
}

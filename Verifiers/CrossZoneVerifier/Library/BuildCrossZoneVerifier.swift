import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import VigilPostgres
import VigilTelemetry
import VigilVerifier

/// Assembles the cross-zone verifier: the sweep of its shard (ledger in the
/// journal's database, scope `global` or `global/shard-I-of-N`) and its
/// `/metrics` and `/healthz`.
public func buildCrossZoneVerifier(config: CrossZoneConfig, registry: PrometheusCollectorRegistry?, logger: Logger) -> [any Service] {
    let journal = PostgresPool(url: config.journalURL, size: 3)
    let verifier = CrossZoneVerifier(config: config, journal: journal)
    var settings = VerifierRunner<CrossZoneVerifier>.Settings(passInterval: config.passInterval, sweepPeriod: config.sweepPeriod)
    // Paced to every pass's deadline from the work left (re-derived as it goes), as the scanner is.
    let paced = config.rateKeysPerSecond == nil && config.profile != .dev
    if paced {
        settings.sizedRateFloor = CrossZoneVerifier.rateFloor
        settings.maxRate = config.maxRateKeysPerSecond
    }
    let runner = VerifierRunner(
        check: verifier, ledger: VerifierLedger(pool: journal, verifier: "cross-zone-verifier", scope: config.scope),
        limiter: SharedRateLimiter(rate: paced ? CrossZoneVerifier.rateFloor : config.rateKeysPerSecond, burst: Double(config.pageSize) * 2),
        settings: settings, logger: logger)
    let router = Router()
    router.addTelemetryRoutes(registry: registry) { runner.health() }
    let app = Application(
        router: router, server: .vigil(.control), configuration: .init(address: .hostname(config.host, port: config.port), serverName: "vigil-cross-zone-verifier"),
        logger: logger)
    logger.info("cross-zone verifier configured", metadata: [
        "vigil.profile": "\(config.profile.rawValue)", "vigil.scope": "\(config.scope)",
        "vigil.rate_keys_per_second": "\(paced ? "paced to \(config.sweepPeriod)" : config.rateKeysPerSecond.map { String(Int($0)) } ?? "unlimited")",
    ])
    return [runner, app]
}

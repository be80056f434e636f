import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import VigilPostgres
import VigilTelemetry
import VigilVerifier

/// Assembles the metadata scanner daemon: the sweep and its `/metrics` and `/healthz`.
public func buildMetadataScanner(config: MetadataScannerConfig, registry: PrometheusCollectorRegistry?, logger: Logger) async throws -> [any Service] {
    let pool = PostgresPool(url: config.databaseURL, size: 3)
    let scanner = MetadataScanner(config: config, pool: pool)
    let ledger = VerifierLedger(pool: pool, verifier: "metadata-scanner", scope: config.scope)
    let sweepSeconds = Double(config.sweepPeriod.components.seconds) + Double(config.sweepPeriod.components.attoseconds) / 1e18
    let estimate = try await scanner.estimatePass().units
    let rate = config.rateBlocksPerSecond ?? (config.profile == .dev ? nil : max(1000, estimate / sweepSeconds))
    var settings = VerifierRunner<MetadataScanner>.Settings(passInterval: config.passInterval, sweepPeriod: config.sweepPeriod)
    // Paced to every pass's deadline from its row count (`reltuples` is -1 until the table is analysed).
    if config.rateBlocksPerSecond == nil, config.profile != .dev {
        settings.sizedRateFloor = 1000
        settings.maxRate = config.maxRateBlocksPerSecond
    }
    let runner = VerifierRunner(
        check: scanner, ledger: ledger, limiter: SharedRateLimiter(rate: rate, burst: Double(config.pageSize) * 2),
        settings: settings, logger: logger)
    let router = Router()
    router.addTelemetryRoutes(registry: registry) { runner.health() }
    let app = Application(
        router: router, server: .vigil(.control), configuration: .init(address: .hostname(config.host, port: config.port), serverName: "vigil-metadata-scanner"),
        logger: logger)
    logger.info("metadata scanner configured", metadata: [
        "vigil.profile": "\(config.profile.rawValue)", "vigil.scope": "\(config.scope)",
        "vigil.rate_blocks_per_second": "\(rate.map { String(Int($0)) } ?? "unlimited")",
    ])
    return [runner, app]
}

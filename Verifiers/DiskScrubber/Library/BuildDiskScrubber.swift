import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import VigilPostgres
import VigilTelemetry
import VigilVerifier

/// Assembles the disk scrubber daemon's services: its lanes (the sweep and the
/// recent extents, under one bookkeeping) and the `/metrics` and `/healthz` listener.
public func buildDiskScrubber(config: DiskScrubberConfig, registry: PrometheusCollectorRegistry?, logger: Logger) async throws -> [any Service] {
    let pool = PostgresPool(url: config.databaseURL, size: 3)
    let scrubber = DiskScrubber(config: config, pool: pool)
    let ledger = VerifierLedger(pool: pool, verifier: "disk-scrubber", scope: config.scope)
    let sweepSeconds = Double(config.sweepPeriod.components.seconds) + Double(config.sweepPeriod.components.attoseconds) / 1e18
    let estimate = try await scrubber.estimatePass().units
    let floor = Double(1 << 20)
    let rate = config.rateBytesPerSecond ?? max(floor, estimate / sweepSeconds)
    let limiter = SharedRateLimiter(rate: rate, burst: Double(16 << 20))
    var settings = VerifierRunner<DiskScrubber>.Settings(passInterval: config.passInterval, sweepPeriod: config.sweepPeriod)
    if config.rateBytesPerSecond == nil {  // paced to every pass's deadline
        settings.sizedRateFloor = floor
        settings.maxRate = config.maxRateBytesPerSecond
    }
    let book = VerifierBookkeeping(ledger: ledger, retry: settings.retry, logger: logger)
    let (sweep, recent) = scrubber.lanes(book: book, limiter: limiter, settings: settings)
    let router = Router()
    router.addTelemetryRoutes(registry: registry) { book.health() }
    let app = Application(router: router, server: .vigil(.control), configuration: .init(address: .hostname(config.host, port: config.port), serverName: "vigil-disk-scrubber"), logger: logger)
    logger.info("disk scrubber configured", metadata: [
        "vigil.profile": "\(config.profile.rawValue)", "vigil.rate_bytes_per_second": "\(Int(rate))", "vigil.data_dir": "\(config.dataDirectory)",
    ])
    return [sweep, recent, app]
}

import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import VigilTelemetry

/// Assembles the extent referee daemon: the watcher and `/metrics`, `/healthz`.
public func buildExtentReferee(config: ExtentRefereeConfig, registry: PrometheusCollectorRegistry?, logger: Logger) -> [any Service] {
    let referee = ExtentReferee(config: config, logger: logger)
    let router = Router()
    router.addTelemetryRoutes(registry: registry) { referee.health() }
    let app = Application(
        router: router, server: .vigil(.control), configuration: .init(address: .hostname(config.host, port: config.port), serverName: "vigil-extent-referee"),
        logger: logger)
    return [referee, app]
}

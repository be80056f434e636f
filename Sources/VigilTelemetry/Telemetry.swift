import Hummingbird
import Logging
import Metrics
import Prometheus

/// Process-wide logging and metrics set-up for a daemon's `main`.
public enum Telemetry {
    /// Bootstraps JSON logs and Prometheus metrics; call once, first thing.
    /// Returns the registry that `/metrics` serves.
    public static func bootstrap(logLevel: Logger.Level = .info) -> PrometheusCollectorRegistry {
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            handler.logLevel = logLevel
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}

/// A daemon's answer to `/healthz`.
public struct HealthReport: Sendable {
    public var healthy: Bool
    public var detail: String

    public init(healthy: Bool, detail: String) {
        self.healthy = healthy
        self.detail = detail
    }

    public static let ok = HealthReport(healthy: true, detail: "ok")
}

extension Router {
    /// Adds `GET /metrics` (Prometheus text format) and `GET /healthz`.
    public func addTelemetryRoutes(
        registry: PrometheusCollectorRegistry?,
        health: @escaping @Sendable () async -> HealthReport = { .ok }
    ) {
        get("/metrics") { _, _ -> Response in
            // What /healthz says, as a metric the alerting rules can watch (1 healthy, 0 not).
            Gauge(label: "vigil_healthy").record(await health().healthy ? 1 : 0)
            let text = registry?.emitToBuffer() ?? []
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        get("/healthz") { _, _ -> Response in
            let report = await health()
            return Response(
                status: report.healthy ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: report.detail + "\n")))
        }
    }
}

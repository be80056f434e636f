import ArgumentParser
import Logging
import Prometheus
import VigilTelemetry

/// The options every verifier daemon has, and the start-up they drive:
/// settings (these options, then `VIGIL_<DAEMON>_<SETTING>`, then the JSON
/// config file), logging and metrics, the cadence profile, and the address of
/// `/metrics` and `/healthz`.
public struct VerifierOptions: ParsableArguments {
    @Option(help: "JSON config file of settings.") public var config: String?
    @Option(help: "production (default: the verifier's own sweep rate) or dev (passes in seconds).") public var profile: String?
    @Option(help: "Address for /metrics and /healthz (default 127.0.0.1).") public var host: String?
    @Option(help: """
        Port for /metrics and /healthz (default: scrubber 7200, scanner 7300, watcher 7400, \
        cross-zone 7500, inspector 7600, referee 7700).
        """) public var port: Int?
    @Option(name: .customLong("log-level"), help: "trace … critical (default info).") public var logLevel: String?

    public init() {}

    /// Reads the settings and starts logging and metrics.
    public func start(environmentPrefix: String) throws -> (DaemonSettings, PrometheusCollectorRegistry) {
        let settings = try DaemonSettings(configFile: config, environmentPrefix: environmentPrefix)
        let registry = Telemetry.bootstrap(logLevel: Logger.Level(rawValue: settings.string("log-level", option: logLevel) ?? "info") ?? .info)
        return (settings, registry)
    }

    /// True for the dev profile, false for production (the default).
    public func isDevProfile(_ settings: DaemonSettings) throws -> Bool {
        switch settings.string("profile", option: profile) ?? "production" {
        case "dev": return true
        case "production": return false
        case let other: throw ValidationError("--profile is production or dev, not \(other)")
        }
    }

    public func host(_ settings: DaemonSettings, default value: String) -> String {
        settings.string("host", option: host) ?? value
    }

    public func port(_ settings: DaemonSettings, default value: Int) throws -> Int {
        try settings.int("port", option: port, default: value)
    }
}

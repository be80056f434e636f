import ArgumentParser
import Prometheus

/// The options every verifier daemon has: the daemons' own (`DaemonOptions`;
/// the port serves /metrics and /healthz) and the cadence profile.
public struct VerifierOptions: ParsableArguments {
    @OptionGroup public var daemon: DaemonOptions
    @Option(help: "production (default: the verifier's own sweep rate) or dev (passes in seconds).") public var profile: String?

    public init() {}

    /// Reads the settings (the verifier's `keys` and these options') and starts logging and metrics.
    public func start(environmentPrefix: String, keys: SettingKeys) throws -> (DaemonSettings, PrometheusCollectorRegistry) {
        try daemon.start(environmentPrefix: environmentPrefix, keys: keys.union(["profile"]))
    }

    /// True for the dev profile, false for production (the default).
    public func isDevProfile(_ settings: DaemonSettings) throws -> Bool {
        switch settings.string("profile", option: profile) ?? "production" {
        case "dev": return true
        case "production": return false
        case let other: throw SettingsError(.badValue, "profile is production or dev, not \(other.prefix(40))")
        }
    }

    public func host(_ settings: DaemonSettings, default value: String) -> String { daemon.host(settings, default: value) }

    public func port(_ settings: DaemonSettings, default value: Int) throws -> Int { try daemon.port(settings, default: value) }
}

import ArgumentParser
import Logging
import Prometheus
import VigilTelemetry

/// The options all nine daemons share, and the start-up they drive: settings
/// (options, then `<PREFIX><SETTING>` variables, then the JSON config file),
/// logging and metrics, and the address the daemon listens on.
public struct DaemonOptions: ParsableArguments {
    @Option(help: "JSON config file of settings (or the <PREFIX>CONFIG variable).") public var config: String?
    @Option(help: "Address to listen on (default 127.0.0.1).") public var host: String?
    @Option(help: """
        Port to listen on (default: node 7100, frontend 7000, master 7050, scrubber 7200, scanner 7300, \
        watcher 7400, cross-zone 7500, inspector 7600, referee 7700).
        """) public var port: Int?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (default info).") public var logLevel: String?

    public init() {}

    /// The settings these options stand for.
    public static let keys: SettingKeys = ["host", "port", "log-level"]

    /// Reads the settings (the daemon's `keys` and these options') and starts logging and metrics.
    public func start(environmentPrefix: String, keys: SettingKeys) throws -> (DaemonSettings, PrometheusCollectorRegistry) {
        let settings = try DaemonSettings(configFile: config, environmentPrefix: environmentPrefix, keys: keys.union(Self.keys))
        let levelText = settings.string("log-level", option: logLevel) ?? "info"
        guard let level = Logger.Level(rawValue: levelText) else {
            throw SettingsError(.badValue, "log-level must be trace, debug, info, notice, warning, error or critical, got '\(levelText.prefix(20))'")
        }
        return (settings, Telemetry.bootstrap(logLevel: level))
    }

    public func host(_ settings: DaemonSettings, default value: String) -> String {
        settings.string("host", option: host) ?? value
    }

    public func port(_ settings: DaemonSettings, default value: Int) throws -> Int {
        try settings.int("port", option: port, default: value)
    }
}

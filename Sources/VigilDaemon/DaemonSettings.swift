import Foundation

/// A daemon's settings from, in order of precedence: command-line options,
/// environment variables (`<PREFIX><KEY>`, e.g. `VIGIL_NODE_PORT` for `port`),
/// and a JSON config file of flat keys (`{"port": 7101, "data-dir": "/srv/vigil"}`).
/// The file may hold only the daemon's known settings; secrets (tokens, keys) are
/// read only from the environment or files (`readSecret`), and no value is ever
/// part of this type's description.
public struct DaemonSettings: Sendable, CustomStringConvertible {
    private let file: [String: String]
    private let filePath: String?
    private let environment: [String: String]
    private let prefix: String

    /// `keys`: every setting the daemon reads (`SettingKeys`); a config file key
    /// outside them is an error, not silently ignored.
    public init(
        configFile: String?, environmentPrefix: String, keys: SettingKeys,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        prefix = environmentPrefix
        self.environment = environment
        filePath = configFile ?? environment[environmentPrefix + "CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        file = try filePath.map { try ConfigFile.read(path: $0, keys: keys) } ?? [:]
    }

    /// The environment variable that sets `key`.
    public func environmentName(_ key: String) -> String {
        prefix + key.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    public func string(_ key: String, option: String? = nil) -> String? {
        lookup(key, option: option)?.value
    }

    public func require(_ key: String, option: String? = nil) throws -> String {
        guard let value = string(key, option: option) else {
            throw SettingsError(.missing, "set --\(key), \(environmentName(key)), or \"\(key)\" in the config file")
        }
        return value
    }

    public func int(_ key: String, option: Int? = nil, default fallback: Int) throws -> Int {
        try parsed(key, option.map(String.init), "an integer", fallback) { Int($0) }
    }

    public func double(_ key: String, option: Double? = nil, default fallback: Double) throws -> Double {
        try parsed(key, option.map { "\($0)" }, "a number", fallback) { Double($0) }
    }

    public func bool(_ key: String, option: Bool? = nil, default fallback: Bool) throws -> Bool {
        try parsed(key, option.map { $0 ? "true" : "false" }, "true or false", fallback) {
            switch $0.lowercased() {
            case "1", "true", "yes", "on": true
            case "0", "false", "no", "off": false
            default: nil
            }
        }
    }

    /// Where settings come from; never a value.
    public var description: String {
        "settings from options, \(prefix)* variables" + (filePath.map { " and config file \($0) (\(file.count) keys)" } ?? "")
    }

    private func parsed<T>(_ key: String, _ option: String?, _ what: String, _ fallback: T, _ parse: (String) -> T?) throws -> T {
        guard let (text, source) = lookup(key, option: option) else { return fallback }
        guard let value = parse(text) else {
            throw SettingsError(.badValue, "\(key) must be \(what), got '\(text.prefix(100))' (from \(source))")
        }
        return value
    }

    /// A setting's value and where it came from.
    private func lookup(_ key: String, option: String?) -> (value: String, source: String)? {
        if let option { return (option, "--\(key)") }
        let name = environmentName(key)
        if let value = environment[name], !value.isEmpty { return (value, name) }
        if let value = file[key], let filePath { return (value, "\"\(key)\" in \(filePath)") }
        return nil
    }
}

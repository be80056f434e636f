import Foundation

/// A daemon's settings from, in order of precedence: command-line options,
/// environment variables (`<PREFIX><KEY>`, e.g. `VIGIL_NODE_PORT` for `port`),
/// and a JSON config file of flat keys (`{"port": 7101, "data-dir": "/srv/vigil"}`).
/// Secrets (tokens, passwords) are read only from the environment or files.
public struct DaemonSettings: Sendable {
    private let file: [String: String]
    private let environment: [String: String]
    private let prefix: String

    public init(configFile: String?, environmentPrefix: String) throws {
        prefix = environmentPrefix
        environment = ProcessInfo.processInfo.environment
        guard let path = configFile ?? environment[environmentPrefix + "CONFIG"] else {
            file = [:]
            return
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SettingsError(message: "cannot read config file \(path): \(error.localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SettingsError(message: "config file \(path) must hold a JSON object of settings")
        }
        file = object.compactMapValues { value in
            switch value {
            case let s as String: s
            case let n as NSNumber: n.stringValue
            default: nil
            }
        }
    }

    /// The environment variable that sets `key`.
    public func environmentName(_ key: String) -> String {
        prefix + key.uppercased().replacingOccurrences(of: "-", with: "_")
    }

    public func string(_ key: String, option: String? = nil) -> String? {
        if let option { return option }
        if let value = environment[environmentName(key)], !value.isEmpty { return value }
        return file[key]
    }

    public func require(_ key: String, option: String? = nil) throws -> String {
        guard let value = string(key, option: option) else {
            throw SettingsError(message: "set --\(key), \(environmentName(key)), or \"\(key)\" in the config file")
        }
        return value
    }

    public func int(_ key: String, option: Int? = nil, default fallback: Int) throws -> Int {
        guard let text = string(key, option: option.map(String.init)) else { return fallback }
        guard let value = Int(text) else { throw SettingsError(message: "\(key) must be an integer, got '\(text)'") }
        return value
    }

    public func double(_ key: String, option: Double? = nil, default fallback: Double) throws -> Double {
        guard let text = string(key, option: option.map { "\($0)" }) else { return fallback }
        guard let value = Double(text) else { throw SettingsError(message: "\(key) must be a number, got '\(text)'") }
        return value
    }

    public func bool(_ key: String, option: Bool? = nil, default fallback: Bool) throws -> Bool {
        guard let text = string(key, option: option.map { $0 ? "true" : "false" }) else { return fallback }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw SettingsError(message: "\(key) must be true or false, got '\(text)'")
        }
    }
}

public struct SettingsError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

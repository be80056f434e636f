import Foundation
import Testing
import VigilDaemon

/// The configuration reader all nine daemons use: precedence, and a clear error
/// for every wrong configuration.
@Suite(.timeLimit(.minutes(1))) struct DaemonSettingsTests {
    let keys = SettingKeys(["port", "data-dir", "fsync", "sample-rate"], secrets: ["admin-token"])

    func configFile(_ json: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-settings-\(UUID().uuidString).json").path
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func failure(_ body: () throws -> Void) -> SettingsError? {
        do {
            try body()
            return nil
        } catch let error as SettingsError {
            return error
        } catch {
            Issue.record("not a SettingsError: \(error)")
            return nil
        }
    }

    @Test("an option wins over the environment, which wins over the file; the file fills what neither sets")
    func precedence() throws {
        let path = try configFile(#"{"port": 7001, "data-dir": "/from/file", "fsync": false, "sample-rate": 0.5}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try DaemonSettings(
            configFile: path, environmentPrefix: "VIGIL_T_", keys: keys, environment: ["VIGIL_T_PORT": "7002", "VIGIL_T_DATA_DIR": "/from/env"])
        #expect(try settings.int("port", option: 7003, default: 1) == 7003)
        #expect(try settings.int("port", default: 1) == 7002)
        #expect(settings.string("data-dir") == "/from/env")
        #expect(try settings.bool("fsync", default: true) == false)
        #expect(try settings.double("sample-rate", default: 0.01) == 0.5)
        #expect(try settings.int("max-block-size", default: 42) == 42, "unset anywhere: the default")
    }

    @Test("the config file comes from VIGIL_<DAEMON>_CONFIG when no --config is given")
    func configFromEnvironment() throws {
        let path = try configFile(#"{"port": 7101}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try DaemonSettings(configFile: nil, environmentPrefix: "VIGIL_T_", keys: keys, environment: ["VIGIL_T_CONFIG": path])
        #expect(try settings.int("port", default: 1) == 7101)
    }

    @Test("a misspelt key in the config file is an error naming it and the known keys, not silently ignored")
    func unknownKey() throws {
        let path = try configFile(#"{"prot": 7101, "data-dir": "/srv"}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = failure { _ = try DaemonSettings(configFile: path, environmentPrefix: "VIGIL_T_", keys: keys, environment: [:]) }
        #expect(error?.code == .unknownKey)
        #expect(error?.message.contains("unknown setting \"prot\"") == true)
        #expect(error?.message.contains("known: admin-token, data-dir, fsync, port, sample-rate") == true)
    }

    @Test("a value that does not parse names the setting, the value and where it came from")
    func badValue() throws {
        let path = try configFile(#"{"fsync": "sometimes", "port": "seventy"}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try DaemonSettings(configFile: path, environmentPrefix: "VIGIL_T_", keys: keys, environment: ["VIGIL_T_SAMPLE_RATE": "1%"])
        let port = failure { _ = try settings.int("port", default: 1) }
        #expect(port?.code == .badValue)
        #expect(port?.message == "port must be an integer, got 'seventy' (from \"port\" in \(path))")
        #expect(failure { _ = try settings.bool("fsync", default: true) }?.message.contains("fsync must be true or false") == true)
        #expect(failure { _ = try settings.double("sample-rate", default: 0) }?.message == "sample-rate must be a number, got '1%' (from VIGIL_T_SAMPLE_RATE)")
        let nested = try configFile(#"{"port": [7101]}"#)
        defer { try? FileManager.default.removeItem(atPath: nested) }
        let shape = failure { _ = try DaemonSettings(configFile: nested, environmentPrefix: "VIGIL_T_", keys: keys, environment: [:]) }
        #expect(shape?.code == .badValue && shape?.message.contains("\"port\" must be a string, a number or true/false") == true)
    }

    @Test("a config file that is missing, unreadable or not a JSON object is a clear error")
    func unreadableFile() throws {
        let missing = failure { _ = try DaemonSettings(configFile: "/nonexistent/vigil.json", environmentPrefix: "VIGIL_T_", keys: keys, environment: [:]) }
        #expect(missing?.code == .unreadableFile && missing?.message.hasPrefix("cannot read config file /nonexistent/vigil.json") == true)
        let directory = FileManager.default.temporaryDirectory.path
        #expect(failure { _ = try DaemonSettings(configFile: directory, environmentPrefix: "VIGIL_T_", keys: keys, environment: [:]) }?.code == .unreadableFile)
        let list = try configFile(#"["port", 7101]"#)
        defer { try? FileManager.default.removeItem(atPath: list) }
        let notObject = failure { _ = try DaemonSettings(configFile: list, environmentPrefix: "VIGIL_T_", keys: keys, environment: [:]) }
        #expect(notObject?.code == .badFile && notObject?.message.contains("one JSON object of settings") == true)
    }

    @Test("a missing required setting says every way to set it")
    func missing() throws {
        let settings = try DaemonSettings(configFile: nil, environmentPrefix: "VIGIL_T_", keys: keys, environment: [:])
        let error = failure { _ = try settings.require("data-dir") }
        #expect(error?.code == .missing && error?.message == "set --data-dir, VIGIL_T_DATA_DIR, or \"data-dir\" in the config file")
    }

    @Test("a secret comes from its file or the environment and never shows in the settings' description")
    func secrets() throws {
        let tokenFile = try configFile("s3cret-token\n")
        let path = try configFile(#"{"admin-token": "file-s3cret"}"#)
        defer { for p in [tokenFile, path] { try? FileManager.default.removeItem(atPath: p) } }
        let settings = try DaemonSettings(configFile: path, environmentPrefix: "VIGIL_T_", keys: keys, environment: [:])
        #expect(try readSecret(settings, "admin-token", file: tokenFile) == "s3cret-token")
        #expect(try readSecret(settings, "admin-token", file: nil) == "file-s3cret")
        #expect(!"\(settings)".contains("s3cret"))
        #expect(keys.secrets == ["admin-token"])
    }
}

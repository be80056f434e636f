import Foundation

/// A daemon's JSON config file: one object of flat settings whose values are
/// strings, numbers or booleans, every key one the daemon knows.
enum ConfigFile {
    static func read(path: String, keys: SettingKeys) throws -> [String: String] {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SettingsError(.unreadableFile, "cannot read config file \(path): \((error as NSError).localizedDescription)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw SettingsError(.badFile, "config file \(path) must hold one JSON object of settings, like {\"port\": 7101}")
        }
        let unknown = object.keys.filter { !keys.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw SettingsError(
                .unknownKey,
                "config file \(path): unknown setting\(unknown.count > 1 ? "s" : "") \(unknown.map { "\"\($0)\"" }.joined(separator: ", ")); "
                    + "known: \(keys.names.sorted().joined(separator: ", "))")
        }
        var settings: [String: String] = [:]
        for (key, value) in object {
            switch value {
            case let text as String: settings[key] = text
            case let number as NSNumber: settings[key] = number.stringValue  // booleans too: "1"/"0" or "true"/"false"
            default: throw SettingsError(.badValue, "config file \(path): \"\(key)\" must be a string, a number or true/false")
            }
        }
        return settings
    }
}

import Foundation

/// A secret from `--<key>-file`, the `<key>-file` setting, or the environment
/// variable for `<key>` — never from a command-line value.
public func readSecret(_ settings: DaemonSettings, _ key: String, file: String?) throws -> String {
    if let path = settings.string("\(key)-file", option: file) {
        let text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw SettingsError(message: "\(path) is empty; it should hold the \(key)") }
        return text
    }
    if let value = settings.string(key) { return value }
    throw SettingsError(message: "give --\(key)-file or set \(settings.environmentName(key))")
}

import Foundation

/// A secret from `--<key>-file`, the `<key>-file` setting, or the `<key>` setting
/// (environment or config file) — never from a command-line value, and never
/// echoed in an error.
public func readSecret(_ settings: DaemonSettings, _ key: String, file: String?) throws -> String {
    if let path = settings.string("\(key)-file", option: file) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw SettingsError(.unreadableFile, "cannot read the \(key) file \(path): \((error as NSError).localizedDescription)")
        }
        guard !text.isEmpty else { throw SettingsError(.missing, "\(path) is empty; it should hold the \(key)") }
        return text
    }
    if let value = settings.string(key) { return value }
    throw SettingsError(.missing, "give --\(key)-file or set \(settings.environmentName(key))")
}

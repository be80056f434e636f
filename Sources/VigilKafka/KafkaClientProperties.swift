import Foundation

/// Extra librdkafka client properties from a file, for what differs per
/// deployment and must not be on a command line: authentication
/// (`security.protocol=SASL_PLAINTEXT`, `sasl.mechanism=SCRAM-SHA-256`,
/// `sasl.username`, `sasl.password`), TLS file paths. The format of Java's
/// `client.properties`: `name=value` lines, `#` comments, blank lines ignored.
public enum KafkaClientProperties {
    /// Parses the text; errors name the line, never a value (it may be a password).
    public static func parse(_ text: String) throws -> [String: String] {
        var out: [String: String] = [:]
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let eq = line.firstIndex(of: "="), eq != line.startIndex else {
                throw KafkaPropertiesError(message: "line \(n + 1) of the Kafka client properties is not name=value")
            }
            let name = line[..<eq].trimmingCharacters(in: .whitespaces)
            guard name != "bootstrap.servers" else {
                throw KafkaPropertiesError(message: "line \(n + 1): give bootstrap.servers with --kafka, not in the properties file")
            }
            out[name] = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }

    public static func load(file path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KafkaPropertiesError(message: "cannot read the Kafka client properties file \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self))
    }
}

public struct KafkaPropertiesError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

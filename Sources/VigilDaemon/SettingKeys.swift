/// The settings a daemon reads: the names its config file may hold, and which
/// of them are secrets (tokens, keys: read from the environment or a file only,
/// never an option, and never logged or echoed in an error).
public struct SettingKeys: Sendable, ExpressibleByArrayLiteral {
    public private(set) var names: Set<String>
    public private(set) var secrets: Set<String>

    public init(_ names: [String], secrets: [String] = []) {
        self.names = Set(names).union(secrets)
        self.secrets = Set(secrets)
    }

    public init(arrayLiteral names: String...) { self.init(names) }

    /// These keys and `other`'s.
    public func union(_ other: SettingKeys) -> SettingKeys {
        var merged = self
        merged.names.formUnion(other.names)
        merged.secrets.formUnion(other.secrets)
        return merged
    }

    public func contains(_ name: String) -> Bool { names.contains(name) }
}

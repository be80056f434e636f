/// One thing a verifier found wrong. Deduplicated by (verifier, kind, subject):
/// seeing it again updates `last_seen`; it is resolved when no longer observed.
public struct Finding: Sendable, Equatable {
    public enum Severity: String, Sendable, Codable {
        case info, warning, error, critical
    }

    public var kind: String
    /// A stable name of the thing that is wrong, e.g. `node/2/extent/v17.g1.extent/offset/4096`.
    public var subject: String
    public var severity: Severity
    /// Flat string details stored as JSON (node, extent, offset, key, detail…).
    public var details: [String: String]

    public init(kind: String, subject: String, severity: Severity, details: [String: String] = [:]) {
        self.kind = kind
        self.subject = subject
        self.severity = severity
        self.details = details
    }
}

/// A replica the master should rebuild.
public struct RepairNeed: Sendable, Equatable, Hashable {
    public var volume: Int64
    public var node: Int
    /// The replica generation judged: the master drops the request once the
    /// replica has another (nil: judged against the replica as it is then).
    public var generation: Int?
    public var reason: String

    public init(volume: Int64, node: Int, generation: Int? = nil, reason: String) {
        self.volume = volume
        self.node = node
        self.generation = generation
        self.reason = reason
    }
}

/// A failed node request. `unreachable` (refused, timed out, connection lost)
/// is its own condition: it never means a block is missing.
public struct NodeClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The node did not answer.
        case unreachable
        /// The node answered with an error status.
        case status(Int)
        /// The node answered with something that breaks the contract.
        case protocolViolation
    }

    public var kind: Kind
    public var node: String
    /// The API's error code (`not_found`, `corrupt_record`, …) when it sent one.
    public var code: String?
    public var message: String

    public var isUnreachable: Bool { kind == .unreachable }
    public var isNotFound: Bool { kind == .status(404) }
    /// The node refused our credential (401/403): a configuration fault of its
    /// own, never "missing" and never "unreachable".
    public var isUnauthorized: Bool { kind == .status(401) || kind == .status(403) }
    public var isRetriable: Bool {
        switch kind {
        case .unreachable: true
        case .status(let s): s >= 502 && s <= 504
        case .protocolViolation: false
        }
    }

    public var description: String {
        switch kind {
        case .unreachable: "node \(node) unreachable: \(message)"
        case .status(let s) where s == 401 || s == 403:
            "node \(node) refused the node token (\(s)): fix the token this daemon sends (its --node-token-file or VIGIL_<DAEMON>_NODE_TOKEN) to match the node's token file"
        case .status(let s): "node \(node) answered \(s)\(code.map { " \($0)" } ?? ""): \(message)"
        case .protocolViolation: "node \(node) broke the API contract: \(message)"
        }
    }
}

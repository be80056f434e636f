import Foundation

/// A failed request to one of Vigil's HTTP services (a node, a frontend): the one
/// error model of every client. `unreachable` (refused, timed out, connection lost)
/// is its own condition and never means a block is missing. A request cancelled by
/// its caller is none of these: the client throws `CancellationError` for it.
public struct ServiceClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The service did not answer.
        case unreachable
        /// The service answered with an error status.
        case status(Int)
        /// The service answered with something that breaks the contract.
        case protocolViolation
    }

    /// Which kind of service answered, for messages: `node`, `frontend`.
    public struct Peer: RawRepresentable, Sendable, Hashable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let node = Peer(rawValue: "node")
        public static let frontend = Peer(rawValue: "frontend")
    }

    public var kind: Kind
    public var peer: Peer
    /// The service's base URL.
    public var address: String
    /// The API's error code (`not_found`, `corrupt_record`, `index_unavailable`, …) when it sent one.
    public var code: String?
    /// The API's message, or what went wrong on the way.
    public var message: String
    /// The answer's body (at most 64 KiB) for an error status; empty otherwise.
    public var body: [UInt8]

    public init(kind: Kind, peer: Peer, address: String, code: String? = nil, message: String, body: [UInt8] = []) {
        self.kind = kind
        self.peer = peer
        self.address = address
        self.code = code
        self.message = message
        self.body = body
    }

    /// An error status with the API's JSON error body (`{"error": code, "message": …}`),
    /// or any other body; status 0 is "did not answer" with `body` saying why.
    public init(peer: Peer, address: String, status: Int, body: [UInt8]) {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        guard status != 0 else {
            self.init(kind: .unreachable, peer: peer, address: address, message: text)
            return
        }
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        self.init(
            kind: .status(status), peer: peer, address: address, code: json?["error"] as? String,
            message: json?["message"] as? String ?? text, body: body)
    }

    /// The answer's status; 0 when the service did not answer or broke the contract.
    public var status: Int {
        if case .status(let status) = kind { return status }
        return 0
    }
    public var isUnreachable: Bool { kind == .unreachable }
    public var isNotFound: Bool { kind == .status(404) }
    /// The service refused our credential (401/403): a configuration fault of its
    /// own, never "missing" and never "unreachable".
    public var isUnauthorized: Bool { kind == .status(401) || kind == .status(403) }
    /// A credential the service knows, without the role the request needs (403).
    public var isForbidden: Bool { kind == .status(403) }
    /// Worth asking again later: no answer, or a gateway or overload status.
    public var isRetriable: Bool {
        switch kind {
        case .unreachable: true
        case .status(let s): s >= 502 && s <= 504
        case .protocolViolation: false
        }
    }

    public var description: String {
        let name = address.isEmpty ? peer.rawValue : "\(peer.rawValue) \(address)"
        switch kind {
        case .unreachable: return address.isEmpty ? message : "\(name) unreachable: \(message)"
        case .status(let s) where (s == 401 || s == 403) && peer == .node:
            return "\(name) refused the node token (\(s)): fix the token this daemon sends (its --node-token-file or VIGIL_<DAEMON>_NODE_TOKEN) to match the node's token file"
        case .status(let s): return "\(name) answered \(s)\(code.map { " \($0)" } ?? ""): \(message)"
        case .protocolViolation: return "\(name) broke the API contract: \(message)"
        }
    }
}

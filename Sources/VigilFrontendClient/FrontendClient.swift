import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VigilCore

/// The public client of a zone's frontend: what users, `vigil put/get/load`
/// and the storage watcher (a black box) use. Knows nothing of the store's internals.
public struct FrontendClient: Sendable {
    public let address: String
    private let token: String?
    private let http: HTTPClient
    public var timeout: TimeAmount = .seconds(30)

    /// `token`: a bearer token of the frontend (`vigil dev up` writes one per
    /// role into the cluster file); without one every block request is refused with 401.
    public init(address: String, token: String? = nil, http: HTTPClient = .shared) {
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.token = token
        self.http = http
    }

    public struct PutResult: Codable, Sendable {
        public var key: String
        /// The volume holding the block; nil when the token lacks the read role.
        public var volume: Int64?
        /// Whether the block was stored already; nil when the token lacks the
        /// read role (the frontend does not tell write-only callers).
        public var deduplicated: Bool?
    }

    /// What a read found.
    public enum ReadResult: Sendable {
        case found([UInt8])
        /// No block with this key.
        case notFound
        /// The block was deleted through the API.
        case deleted
    }

    public func put(_ data: [UInt8]) async throws -> PutResult {
        let (status, body) = try await send(.PUT, "/v1/blocks", body: data, limit: 64 << 10)
        guard status == 200 || status == 201 else { throw FrontendClientError(status: status, body: body) }
        return try JSONDecoder().decode(PutResult.self, from: Data(body))
    }

    public func get(_ key: BlockKey) async throws -> ReadResult {
        let (status, body) = try await send(.GET, "/v1/blocks/\(key.hex)", body: nil, limit: ExtentFormat.hardMaxBlockSize)
        switch status {
        case 200: return .found(body)
        case 404: return .notFound
        case 410: return .deleted
        default: throw FrontendClientError(status: status, body: body)
        }
    }

    public func delete(_ key: BlockKey) async throws {
        let (status, body) = try await send(.DELETE, "/v1/blocks/\(key.hex)", body: nil, limit: 64 << 10)
        guard status == 204 || status == 404 || status == 410 else { throw FrontendClientError(status: status, body: body) }
    }

    private func send(_ method: HTTPMethod, _ path: String, body: [UInt8]?, limit: Int) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: address + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(body) }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch {
            throw FrontendClientError(status: 0, body: Array("frontend \(address) unreachable: \(error)".utf8))
        }
        let bytes = Array(buffer: try await response.body.collect(upTo: limit))
        return (Int(response.status.code), bytes)
    }
}

/// A request the frontend refused or could not serve (status 0: unreachable).
public struct FrontendClientError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    public var isUnreachable: Bool { status == 0 }
    /// No token, or one the frontend does not know (401).
    public var isUnauthorized: Bool { status == 401 }
    /// A token the frontend knows, without the role the request needs (403).
    public var isForbidden: Bool { status == 403 }
    /// The API's error code (`unavailable`, `index_unavailable`, …), when it sent one.
    public var code: String? {
        (try? JSONSerialization.jsonObject(with: Data(body))).flatMap { ($0 as? [String: Any])?["error"] as? String }
    }
    /// The API's human message, when it sent one.
    public var message: String? {
        (try? JSONSerialization.jsonObject(with: Data(body))).flatMap { ($0 as? [String: Any])?["message"] as? String }
    }
    /// The frontend could not say anything about the block (its index is down):
    /// not a verdict on the data, so ask again later.
    public var isIndexUnavailable: Bool { code == "index_unavailable" }
    /// A read's 503 `unavailable` names why each live replica failed:
    /// `cannot serve now: no replica served a verified copy (node-1: SHA-256 mismatch; node-2: unreachable)`.
    /// Nil for any other answer.
    public var replicaProblems: [String]? {
        guard status == 503, code == "unavailable", let message,
              let open = message.range(of: "no replica served a verified copy ("), message.hasSuffix(")")
        else { return nil }
        let inner = message[open.upperBound...].dropLast()
        return inner.isEmpty ? [] : inner.components(separatedBy: "; ")
    }
    /// The frontend answered a read and every live replica answered it with
    /// wrong or absent bytes (SHA-256 mismatch, a corrupt record, the block or
    /// volume not on the node): a verdict on the data. False when any replica did
    /// not answer, refused, or failed otherwise, and when there was no replica to
    /// ask: those are outages or faults of their own, not proof of loss.
    public var replicasAnsweredWithBadData: Bool {
        guard let problems = replicaProblems, !problems.isEmpty else { return false }
        let verdicts = ["SHA-256 mismatch", "answered 404 not_found", "answered 404 unknown_volume", "answered 500 corrupt_record"]
        return problems.allSatisfy { problem in verdicts.contains { problem.contains($0) } }
    }
    public var isRetriable: Bool { status == 0 || status == 503 }
    public var description: String {
        let text = String(decoding: body.prefix(500), as: UTF8.self)
        return status == 0 ? text : "frontend answered \(status): \(text)"
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VigilCore
import VigilServiceClient

/// The public client of a zone's frontend: what users, `vigil put/get/load`
/// and the storage watcher (a black box) use. Knows nothing of the store's internals.
public struct FrontendClient: Sendable {
    private var base: ServiceClient
    public var address: String { base.address }
    public var timeout: TimeAmount {
        get { base.timeout }
        set { base.timeout = newValue }
    }

    /// `token`: a bearer token of the frontend (`vigil dev up` writes one per
    /// role into the cluster file); without one every block request is refused with 401.
    public init(address: String, token: String? = nil, http: HTTPClient = .shared) {
        base = ServiceClient(peer: .frontend, address: address, token: token, http: http, timeout: .seconds(30))
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
        guard status == 200 || status == 201 else { throw error(status, body) }
        do {
            return try JSONDecoder().decode(PutResult.self, from: Data(body))
        } catch {
            throw base.violation("a PUT's answer is not the documented JSON")
        }
    }

    public func get(_ key: BlockKey) async throws -> ReadResult {
        let (status, body) = try await send(.GET, "/v1/blocks/\(key.hex)", body: nil, limit: ExtentFormat.hardMaxBlockSize)
        switch status {
        case 200: return .found(body)
        case 404: return .notFound
        case 410: return .deleted
        default: throw error(status, body)
        }
    }

    public func delete(_ key: BlockKey) async throws {
        let (status, body) = try await send(.DELETE, "/v1/blocks/\(key.hex)", body: nil, limit: 64 << 10)
        guard status == 204 || status == 404 || status == 410 else { throw error(status, body) }
    }

    private func send(_ method: HTTPMethod, _ path: String, body: [UInt8]?, limit: Int) async throws -> (Int, [UInt8]) {
        let response = try await base.execute(base.request(method, path, body: body))
        return (Int(response.status.code), try await base.collect(response, upTo: limit))
    }

    private func error(_ status: Int, _ body: [UInt8]) -> FrontendClientError {
        ServiceClientError(peer: .frontend, address: address, status: status, body: Array(body.prefix(64 << 10)))
    }
}

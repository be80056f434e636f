import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// What every Vigil HTTP client shares: the base URL, the bearer token, the
/// request timeout, and one mapping of failures onto `ServiceClientError`
/// (a cancelled request throws `CancellationError`, never "unreachable").
public struct ServiceClient: Sendable {
    /// The service's base URL without a trailing slash, e.g. `http://127.0.0.1:7101`.
    public let address: String
    public let peer: ServiceClientError.Peer
    let token: String?
    let http: HTTPClient
    public var timeout: TimeAmount

    public init(peer: ServiceClientError.Peer, address: String, token: String?, http: HTTPClient, timeout: TimeAmount) {
        self.peer = peer
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.token = token
        self.http = http
        self.timeout = timeout
    }

    /// A request to `path` carrying the bearer token.
    public func request(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: address + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(body) }
        return request
    }

    /// Runs a request; any failure to get an answer is `unreachable`, unless the
    /// caller cancelled it.
    public func execute(_ request: HTTPClientRequest, timeout: TimeAmount? = nil) async throws -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: timeout ?? self.timeout)
        } catch {
            throw failure(error)
        }
    }

    /// Up to `limit` bytes of an answer's body.
    public func collect(_ response: HTTPClientResponse, upTo limit: Int) async throws -> [UInt8] {
        try await reading { Array(buffer: try await response.body.collect(upTo: max(limit, 1))) }
    }

    /// Throws the API's error for a non-2xx answer.
    public func check(_ response: HTTPClientResponse) async throws {
        guard !(200..<300).contains(response.status.code) else { return }
        throw await error(for: response)
    }

    /// The error an answer with an error status stands for (its body read, at most 64 KiB).
    public func error(for response: HTTPClientResponse) async -> ServiceClientError {
        let body = (try? await response.body.collect(upTo: 64 << 10)).map { Array(buffer: $0) } ?? []
        return ServiceClientError(peer: peer, address: address, status: Int(response.status.code), body: body)
    }

    /// A contract violation by the service.
    public func violation(_ message: String) -> ServiceClientError {
        ServiceClientError(kind: .protocolViolation, peer: peer, address: address, message: message)
    }

    /// Runs `body`, a read of a streamed answer, mapping its failures like a request's.
    public func reading<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw failure(error, while: "reading the answer: ")
        }
    }

    /// Cancellation stays cancellation; everything else means no answer.
    func failure(_ error: any Error, while doing: String = "") -> any Error {
        if error is CancellationError || Task.isCancelled || (error as? HTTPClientError) == .cancelled {
            return CancellationError()
        }
        if let error = error as? ServiceClientError { return error }
        return ServiceClientError(kind: .unreachable, peer: peer, address: address, message: doing + "\(error)")
    }
}

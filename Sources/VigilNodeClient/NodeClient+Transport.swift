import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import VigilServiceClient

extension NodeClient {
    /// Sends a request and returns the body of a 2xx answer (at most `limit` bytes).
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, limit: Int = 1 << 20) async throws -> [UInt8] {
        let response = try await base.execute(base.request(method, path, body: body))
        try await base.check(response)
        return try await base.collect(response, upTo: limit)
    }

    /// Sends a request and returns the answer, whatever its status.
    func execute(_ method: HTTPMethod, _ path: String, timeout: TimeAmount) async throws -> HTTPClientResponse {
        try await base.execute(base.request(method, path), timeout: timeout)
    }
}

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

extension NodeClient {
    /// Sends a request and returns the body of a 2xx answer (at most `limit` bytes).
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil, limit: Int = 1 << 20) async throws -> [UInt8] {
        let response = try await execute(method, path, body: body, timeout: timeout)
        try await check(response)
        do {
            return Array(buffer: try await response.body.collect(upTo: max(limit, 1)))
        } catch {
            throw NodeClientError(kind: .unreachable, node: address, message: "reading the answer: \(error)")
        }
    }

    func execute(_ method: HTTPMethod, _ path: String, body: [UInt8]?, timeout: TimeAmount) async throws -> HTTPClientResponse {
        var request = makeRequest(method, path)
        if let body { request.body = .bytes(body) }
        return try await run(request, timeout: timeout)
    }

    func makeRequest(_ method: HTTPMethod, _ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: address + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        return request
    }

    func run(_ request: HTTPClientRequest, timeout: TimeAmount) async throws -> HTTPClientResponse {
        do {
            return try await http.execute(request, timeout: timeout)
        } catch {
            throw NodeClientError(kind: .unreachable, node: address, message: "\(error)")
        }
    }

    /// Throws for a non-2xx answer, with the API's error code and message.
    func check(_ response: HTTPClientResponse) async throws {
        guard !(200..<300).contains(response.status.code) else { return }
        let body = (try? await response.body.collect(upTo: 64 << 10)).map { Array(buffer: $0) } ?? []
        let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        throw NodeClientError(
            kind: .status(Int(response.status.code)), node: address, code: json?["error"] as? String,
            message: json?["message"] as? String ?? String(decoding: body.prefix(300), as: UTF8.self))
    }
}

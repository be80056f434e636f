import Foundation
import Hummingbird

/// An HTTP API error with a stable code and a message that says what to do.
/// The body is `{"error": code, "message": message}`.
public struct APIError: HTTPResponseError, CustomStringConvertible {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONSerialization.data(withJSONObject: ["error": code, "message": message], options: [.sortedKeys])
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
}

extension Request {
    /// The bearer token of the `Authorization` header, if any.
    public var bearerToken: String? {
        guard let header = headers[.authorization], header.hasPrefix("Bearer ") else { return nil }
        return String(header.dropFirst(7))
    }

    /// A query parameter, required.
    public func query(_ name: String) throws -> String {
        guard let value = uri.queryParameters.get(name), !value.isEmpty else {
            throw APIError.badRequest("missing query parameter \(name)")
        }
        return value
    }

    /// Collects the body, refusing more than `limit` bytes with 413.
    public func bodyBytes(limit: Int) async throws -> [UInt8] {
        var collected = [UInt8]()
        for try await chunk in body {
            guard collected.count + chunk.readableBytes <= limit else {
                throw APIError(.contentTooLarge, "too_large", "body exceeds \(limit) bytes")
            }
            collected.append(contentsOf: chunk.readableBytesView)
        }
        return collected
    }
}

/// A JSON response.
public func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return Response(
        status: status, headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
}

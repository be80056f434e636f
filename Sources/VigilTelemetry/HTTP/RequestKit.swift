import Foundation
import Hummingbird

extension APIError {
    /// 401: no token, or one the service does not know; `send` says what to send.
    public static func unauthorized(send: String) -> APIError {
        APIError(.unauthorized, "unauthorized", "send Authorization: Bearer <token> with \(send)")
    }

    /// 403: a known token without the grant the request needs.
    public static func forbidden(_ message: String) -> APIError { APIError(.forbidden, "forbidden", message) }
}

extension Request {
    /// What the bearer token grants according to `grantOf`; 401 when there is
    /// no token or `grantOf` does not know it. Checked before any body is read.
    public func authorize<Grant>(_ grantOf: (String) -> Grant?, send: String) throws -> Grant {
        guard let token = bearerToken, let grant = grantOf(token) else { throw APIError.unauthorized(send: send) }
        return grant
    }

    /// The body decoded as JSON, at most `limit` bytes: 413 beyond, 400 with what
    /// is wrong when it does not decode.
    public func decodeJSON<Value: Decodable>(_ type: Value.Type, limit: Int) async throws -> Value {
        let bytes = try await bodyBytes(limit: limit)
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let error as DecodingError {
            throw APIError.badRequest("the body is not a valid \(type) JSON document: \(Self.describe(error))")
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            (context.codingPath.map(\.stringValue).joined(separator: ".") + " " + context.debugDescription)
                .trimmingCharacters(in: .whitespaces)
        @unknown default: "\(error)"
        }
    }
}

/// A binary (`application/octet-stream`) response.
public func octetStreamResponse(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
}

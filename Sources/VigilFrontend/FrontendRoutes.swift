import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import VigilCore
import VigilPostgres
import VigilTelemetry

/// Builds the frontend's HTTP application: `PUT /v1/blocks`, `GET` and `DELETE /v1/blocks/{key}`.
public func buildFrontendApplication(frontend: Frontend, registry: PrometheusCollectorRegistry?, logger: Logger) -> some ApplicationProtocol {
    let router = Router()
    router.addTelemetryRoutes(registry: registry) { .ok }
    let v1 = router.group("v1")
    let config = frontend.config

    @Sendable func authorize(_ request: Request) throws {
        guard let expected = config.clientToken else { return }
        guard let token = request.bearerToken, constantTimeEqual(Array(token.utf8), Array(expected.utf8)) else {
            throw APIError(.unauthorized, "unauthorized", "send Authorization: Bearer <token>")
        }
    }

    @Sendable func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as FrontendError {
            switch error {
            case .notFound: throw APIError(.notFound, "not_found", error.description)
            case .deleted: throw APIError(.gone, "deleted", error.description)
            case .unavailable: throw APIError(.serviceUnavailable, "unavailable", error.description)
            case .tooLarge: throw APIError(.contentTooLarge, "too_large", error.description)
            }
        } catch let error as PostgresError {
            // The index is down or restarting: the block's fate is unknown, not bad.
            throw APIError(.serviceUnavailable, "index_unavailable", "the block index cannot be reached; retry: \(error.message)")
        }
    }

    v1.put("blocks") { request, _ in
        try authorize(request)
        let data = try await request.bodyBytes(limit: config.maxBlockSize)
        let result = try await mapped { try await frontend.put(data) }
        return try jsonResponse(result, status: result.deduplicated ? .ok : .created)
    }
    v1.get("blocks/:key") { request, context in
        try authorize(request)
        guard let key = BlockKey(hex: try context.parameters.require("key")) else { throw APIError.badRequest("a key is 64 hexadecimal digits") }
        let data = try await mapped { try await frontend.get(key) }
        return Response(status: .ok, headers: [.contentType: "application/octet-stream"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
    v1.delete("blocks/:key") { request, context in
        try authorize(request)
        guard let key = BlockKey(hex: try context.parameters.require("key")) else { throw APIError.badRequest("a key is 64 hexadecimal digits") }
        try await mapped { try await frontend.delete(key) }
        return Response(status: .noContent)
    }
    return Application(
        router: router,
        configuration: .init(address: .hostname(config.host, port: config.port), serverName: "vigil-frontend"),
        logger: logger)
}

import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import VigilCore
import VigilPostgres
import VigilTelemetry

/// Builds the frontend's HTTP application: `PUT /v1/blocks`, `GET` and `DELETE /v1/blocks/{key}`.
public func buildFrontendApplication(frontend: Frontend, registry: PrometheusCollectorRegistry?, logger: Logger) -> some ApplicationProtocol {
    let router = Router()
    router.addTelemetryRoutes(registry: registry) { frontend.health.summary() }
    let v1 = router.group("v1")
    let config = frontend.config

    let unauthorized = Counter(label: "vigil_frontend_unauthorized_requests_total")
    let forbidden = Counter(label: "vigil_frontend_forbidden_requests_total")

    /// The caller's roles, if they include `needed`: no or an unknown token is
    /// 401, a known token without the role 403. Checked before the body is read.
    @Sendable func authorize(_ request: Request, _ needed: FrontendRole) throws -> Set<FrontendRole> {
        let roles: Set<FrontendRole>
        do {
            roles = try request.authorize(config.tokens.roles(of:), send: "a frontend token holding the \(needed) role")
        } catch {
            unauthorized.increment()
            throw error
        }
        guard roles.contains(needed) else {
            forbidden.increment()
            throw APIError.forbidden("this token lacks the \(needed) role this request needs")
        }
        return roles
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
        let roles = try authorize(request, .write)
        let data = try await request.bodyBytes(limit: config.maxBlockSize)
        let result = try await mapped { try await frontend.put(data) }
        // Whether the content was stored already (and in which volume) is for
        // callers who may read: a write-only token always gets 201 and the key.
        guard roles.contains(.read) else { return try jsonResponse(WriteOnlyPutResult(key: result.key), status: .created) }
        return try jsonResponse(result, status: result.deduplicated ? .ok : .created)
    }
    v1.get("blocks/:key") { request, context in
        _ = try authorize(request, .read)
        guard let key = BlockKey(hex: try context.parameters.require("key")) else { throw APIError.badRequest("a key is 64 hexadecimal digits") }
        return octetStreamResponse(try await mapped { try await frontend.get(key) })
    }
    // HEAD answers as GET would, without the bytes: the block is read and
    // verified, so a probe never calls a stored block missing.
    v1.head("blocks/:key") { request, context in
        _ = try authorize(request, .read)
        guard let key = BlockKey(hex: try context.parameters.require("key")) else { throw APIError.badRequest("a key is 64 hexadecimal digits") }
        let bytes = try await mapped { try await frontend.get(key) }
        return Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentLength: "\(bytes.count)"])
    }
    v1.delete("blocks/:key") { request, context in
        _ = try authorize(request, .delete)
        guard let key = BlockKey(hex: try context.parameters.require("key")) else { throw APIError.badRequest("a key is 64 hexadecimal digits") }
        try await mapped { try await frontend.delete(key) }
        return Response(status: .noContent)
    }
    return vigilApplication(
        router: router, limits: .frontend(maxBlockSize: config.maxBlockSize),
        host: config.host, port: config.port, serverName: "vigil-frontend", logger: logger)
}

/// A PUT's answer to a caller without the read role: the key, nothing about
/// whether the content was there before.
struct WriteOnlyPutResult: Encodable {
    var key: String
}

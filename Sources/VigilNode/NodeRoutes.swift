import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import VigilCore
import VigilTelemetry

/// Builds the node's HTTP application (`Schemas/node-api.md`); `/healthz`
/// answers what the node's services report on `health`.
public func buildNodeApplication(
    store: NodeStore, registry: PrometheusCollectorRegistry?, health: HealthBoard = HealthBoard(), logger: Logger
) -> some ApplicationProtocol {
    let router = Router()
    router.addTelemetryRoutes(registry: registry) { health.summary() }
    NodeRoutes(store: store, logger: logger).register(on: router)
    return vigilApplication(
        router: router, limits: .node(maxBlockSize: store.config.maxBlockSize),
        host: store.config.host, port: store.config.port, serverName: "vigil-node", logger: logger)
}

struct NodeRoutes: Sendable {
    let store: NodeStore
    let logger: Logger
    let puts = Counter(label: "vigil_node_puts_total")
    let putBytes = Counter(label: "vigil_node_put_bytes_total")
    let gets = Counter(label: "vigil_node_gets_total")
    let corruptReads = Counter(label: "vigil_node_corrupt_reads_total")
    let checkedKeys = Counter(label: "vigil_node_presence_keys_checked_total")

    func register(on router: Router<BasicRequestContext>) {
        let v1 = router.group("v1")
        v1.put("volumes/:volume") { request, context in
            try authorize(request, .admin)
            let volume = try context.parameters.require("volume", as: UInt64.self)
            let generation = UInt32(try request.query("generation")) ?? 0
            guard generation > 0 else { throw APIError.badRequest("generation must be a positive integer") }
            let created = try await nodeCall { try await store.createVolume(volume, generation: generation) }
            return Response(status: created ? .created : .ok)
        }
        v1.put("volumes/:volume/blocks/:key") { request, context in
            try authorize(request, .admin)
            let (volume, key) = try volumeAndKey(context)
            let data = try await request.bodyBytes(limit: store.config.maxBlockSize)
            let offset = try await nodeCall { try await store.put(volume: volume, key: key, data: data) }
            puts.increment()
            putBytes.increment(by: data.count)
            guard let offset else { return Response(status: .ok) }
            return try jsonResponse(["offset": offset], status: .created)
        }
        v1.get("volumes/:volume/blocks/:key") { request, context in
            try authorize(request, .reader)
            let (volume, key) = try volumeAndKey(context)
            gets.increment()
            return octetStreamResponse(try await nodeCall { try await store.get(volume: volume, key: key) })
        }
        v1.post("volumes/:volume/seal") { request, context in
            try authorize(request, .admin)
            let volume = try context.parameters.require("volume", as: UInt64.self)
            try await nodeCall { try await store.seal(volume: volume) }
            return Response(status: .ok)
        }
        v1.post("check") { request, _ in
            try authorize(request, .reader)
            // ?records=1: entries also carry the index's length and CRC, compared with the record held.
            let records = request.uri.queryParameters.get("records") == "1"
            let body = try await request.bodyBytes(limit: PresenceBatch.maxEntries * PresenceBatch.entrySize(records: records))
            guard let answer = body.withUnsafeBytes({ store.check(body: $0, records: records) }) else {
                throw APIError.badRequest(records
                    ? "body must be 48-byte entries (32-byte key, u64 LE volume, u32 LE length, u32 LE CRC32C); got \(body.count) bytes"
                    : "body must be 40-byte entries (32-byte key, u64 LE volume); got \(body.count) bytes")
            }
            checkedKeys.increment(by: answer.count)
            return octetStreamResponse(answer)
        }
        registerExtentRoutes(on: v1)
    }

    func volumeAndKey(_ context: BasicRequestContext) throws -> (UInt64, BlockKey) {
        let volume = try context.parameters.require("volume", as: UInt64.self)
        guard let key = BlockKey(hex: try context.parameters.require("key")) else {
            throw APIError.badRequest("a key is 64 hexadecimal digits")
        }
        return (volume, key)
    }

    func extentName(_ context: BasicRequestContext) throws -> ExtentName {
        guard let name = ExtentName(try context.parameters.require("name")) else {
            throw APIError.badRequest("an extent name is v<VOLUME>.g<GENERATION>.extent")
        }
        return name
    }

    func authorize(_ request: Request, _ needed: TokenSet.Role) throws {
        let role = try request.authorize(store.config.tokens.role(of:), send: "a reader or admin token")
        guard role >= needed else { throw APIError.forbidden("this request needs an admin token") }
    }

    /// Maps the store's errors to API errors; logs corrupt reads.
    func nodeCall<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as NodeError {
            if case .corruptRecord = error {
                corruptReads.increment()
                logger.error("corrupt record on read", metadata: [LogKey.error: "\(error)"])
            }
            throw APIError(.init(code: error.status), error.code, error.description)
        } catch let error as APIError {
            throw error
        } catch {
            // I/O errors and the like: say what happened, log it, never a bare 500.
            logger.error("request failed", metadata: [LogKey.error: "\(error)"])
            throw APIError(.internalServerError, "internal", "\(error)")
        }
    }
}

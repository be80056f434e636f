import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import VigilCore
import VigilServiceClient

/// A client of one storage node's HTTP API (`Schemas/node-api.md`).
public struct NodeClient: Sendable {
    var base: ServiceClient
    /// The node's base URL, e.g. `http://127.0.0.1:7101`.
    public var address: String { base.address }
    public var timeout: TimeAmount {
        get { base.timeout }
        set { base.timeout = newValue }
    }

    public init(address: String, token: String, http: HTTPClient = .shared) {
        base = ServiceClient(peer: .node, address: address, token: token, http: http, timeout: .seconds(10))
    }

    public func createVolume(_ volume: UInt64, generation: UInt32) async throws {
        _ = try await send(.PUT, "/v1/volumes/\(volume)?generation=\(generation)")
    }

    /// Stores a block; the node checks SHA-256(data) = key and syncs before answering.
    public func put(volume: UInt64, key: BlockKey, data: [UInt8]) async throws {
        _ = try await send(.PUT, "/v1/volumes/\(volume)/blocks/\(key.hex)", body: data)
    }

    /// The block's bytes, verified against the record's CRCs by the node.
    public func get(volume: UInt64, key: BlockKey) async throws -> [UInt8] {
        try await send(.GET, "/v1/volumes/\(volume)/blocks/\(key.hex)", limit: ExtentFormat.hardMaxBlockSize)
    }

    public func seal(volume: UInt64) async throws {
        _ = try await send(.POST, "/v1/volumes/\(volume)/seal")
    }

    /// Presence of each (key, volume) pair, in one request.
    public func check(_ pairs: [(key: BlockKey, volume: UInt64)]) async throws -> [Presence] {
        try await presence(PresenceBatch(keys: pairs.map(\.key), volumes: pairs.map(\.volume)))
    }

    /// Presence of each block, and whether the record held has the length and
    /// CRC32C the caller's index says (`.mismatch` when not), in one request.
    public func check(records: [(key: BlockKey, volume: UInt64, length: UInt32, dataCRC: UInt32)]) async throws -> [Presence] {
        try await presence(PresenceBatch(
            keys: records.map(\.key), volumes: records.map(\.volume), lengths: records.map(\.length), dataCRCs: records.map(\.dataCRC)))
    }

    /// Sends one presence batch (`POST /v1/check`, `?records=1` when it carries records) and decodes the answer.
    private func presence(_ batch: PresenceBatch) async throws -> [Presence] {
        let path = batch.lengths == nil ? "/v1/check" : "/v1/check?records=1"
        let answer = try await send(.POST, path, body: batch.encode(), limit: batch.keys.count)
        guard answer.count == batch.keys.count else {
            throw base.violation("check answered \(answer.count) bytes for \(batch.keys.count) keys")
        }
        return try answer.map {
            guard let p = Presence(rawValue: $0) else {
                throw base.violation("presence byte \($0)")
            }
            return p
        }
    }

    public func listExtents() async throws -> [ExtentListing] {
        let body = try await send(.GET, "/v1/extents", limit: 64 << 20)
        do {
            return try JSONDecoder().decode([ExtentListing].self, from: Data(body))
        } catch {
            throw base.violation("extent list is not valid JSON")
        }
    }

    /// Downloads an extent into a new file at `path`.
    public func downloadExtent(_ name: ExtentName, location: String = "extents", to path: String) async throws {
        let response = try await execute(.GET, "/v1/extents/\(name)?location=\(location)", timeout: .minutes(30))
        try await base.check(response)
        let file = try RawFile.create(path: path)
        var chunks = response.body.makeAsyncIterator()
        // A failed read is the node's (unreachable), a failed write our disk's.
        while let chunk = try await base.reading({ try await chunks.next() }) {
            let bytes = Array(chunk.readableBytesView)
            try await blockingIO { try bytes.withUnsafeBytes { try file.append($0) } }
        }
        try await blockingIO { try file.sync() }
    }

    /// Uploads the extent at `path`; the node verifies it before putting it in
    /// place, and refuses (`409 extent_live`) while it holds an extent of the
    /// volume. `instruction`: the recorded install instruction (logged by the node).
    public func installExtent(_ name: ExtentName, from path: String, instruction: Int64? = nil) async throws {
        let file = try RawFile.openForReading(path: path)
        let size = try file.size()
        let chunks = AsyncThrowingStream<ByteBuffer, Error>(unfolding: {
            let chunk = try await blockingIO { try file.readNext(upTo: 1 << 20) }
            return chunk.isEmpty ? nil : ByteBuffer(bytes: chunk)
        })
        var request = base.request(.PUT, "/v1/extents/\(name)" + (instruction.map { "?instruction=\($0)" } ?? ""))
        request.body = .stream(chunks, length: .known(Int64(size)))
        try await base.check(try await base.execute(request, timeout: .minutes(30)))
    }

    public func trash(_ name: ExtentName, instruction: Int64) async throws {
        _ = try await send(.POST, "/v1/extents/\(name)/trash?instruction=\(instruction)")
    }

    public func restore(_ name: ExtentName, instruction: Int64) async throws {
        _ = try await send(.POST, "/v1/trash/\(name)/restore?instruction=\(instruction)")
    }

    public func unlink(_ name: ExtentName, instruction: Int64) async throws {
        _ = try await send(.DELETE, "/v1/trash/\(name)?instruction=\(instruction)")
    }

    /// True when `/healthz` answers 200.
    public func isHealthy() async -> Bool {
        guard let response = try? await execute(.GET, "/healthz", timeout: .seconds(2)) else { return false }
        return response.status == .ok
    }
}

import Foundation
import Hummingbird
import NIOCore
import VigilCore
import VigilTelemetry

extension NodeRoutes {
    func registerExtentRoutes(on v1: RouterGroup<BasicRequestContext>) {
        v1.get("extents") { request, _ in
            try authorize(request, .reader)
            return try jsonResponse(try await store.listExtents())
        }
        v1.get("extents/:name") { request, context in
            try authorize(request, .reader)
            let name = try extentName(context)
            let location = NodeStore.Location(rawValue: request.uri.queryParameters.get("location") ?? "extents") ?? .extents
            let file: RawFile
            do {
                file = try RawFile.openForReading(path: store.path(of: name, in: location))
            } catch {
                throw APIError(.notFound, "no_such_extent", "no extent \(name) in \(location.rawValue)/")
            }
            return Response(
                status: .ok, headers: [.contentType: "application/octet-stream"],
                body: ResponseBody(contentLength: Int(clamping: try file.size())) { writer in
                    while true {
                        let chunk = try await blockingIO { try file.readNext(upTo: 1 << 20) }
                        if chunk.isEmpty { break }
                        try await writer.write(ByteBuffer(bytes: chunk))
                    }
                    try await writer.finish(nil)
                })
        }
        v1.put("extents/:name") { request, context in
            try authorize(request, .admin)
            let name = try extentName(context)
            let staged = store.path(of: name, in: .extents) + ".incoming-\(UUID().uuidString)"
            try await receive(request.body, into: staged)
            try await nodeCall { try await store.install(name, stagedPath: staged) }
            let instruction = request.uri.queryParameters.get("instruction") ?? "none"
            logger.notice("installed extent", metadata: [LogKey.extent: "\(name)", LogKey.instruction: "\(instruction)"])
            return Response(status: .ok)
        }
        v1.post("extents/:name/trash") { request, context in
            try authorize(request, .admin)
            let name = try extentName(context)
            let instruction = try request.query("instruction")
            try await nodeCall { try await store.trash(name) }
            logger.notice("moved extent to trash", metadata: [LogKey.extent: "\(name)", LogKey.instruction: "\(instruction)"])
            return Response(status: .ok)
        }
        v1.post("trash/:name/restore") { request, context in
            try authorize(request, .admin)
            let name = try extentName(context)
            let instruction = try request.query("instruction")
            try await nodeCall { try await store.restore(name) }
            logger.notice("restored extent from trash", metadata: [LogKey.extent: "\(name)", LogKey.instruction: "\(instruction)"])
            return Response(status: .ok)
        }
        v1.delete("trash/:name") { request, context in
            try authorize(request, .admin)
            let name = try extentName(context)
            let instruction = try request.query("instruction")
            try await nodeCall { try await store.unlink(name) }
            logger.notice("unlinked trash extent", metadata: [LogKey.extent: "\(name)", LogKey.instruction: "\(instruction)"])
            return Response(status: .ok)
        }
    }

    /// Streams a request body to a new file.
    func receive(_ body: RequestBody, into path: String) async throws {
        let file = try RawFile.create(path: path)
        do {
            for try await chunk in body {
                let bytes = Array(chunk.readableBytesView)
                try await blockingIO { try bytes.withUnsafeBytes { try file.append($0) } }
            }
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
    }
}

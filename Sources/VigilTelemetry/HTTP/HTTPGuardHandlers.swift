import Foundation
import HTTPTypes
import Logging
import Metrics
import NIOCore
import NIOHTTPTypes

/// First in the pipeline: any byte from the client starts the head's deadline
/// after an idle spell (the parser says nothing until a head is complete).
final class HTTPRawBytesGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let connection: HTTPConnectionGuard

    init(_ connection: HTTPConnectionGuard) { self.connection = connection }

    func handlerAdded(context: ChannelHandlerContext) { connection.start() }
    func handlerRemoved(context: ChannelHandlerContext) { connection.stop() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.bytesReceived()
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.stop()
        context.fireChannelInactive()
    }
}

/// After HTTP parsing: feeds heads, bodies and response ends to the deadlines;
/// answers 413 to a declared body over the route's bound before reading it, and
/// cuts an undeclared (chunked) body at the bound.
final class HTTPRequestGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let connection: HTTPConnectionGuard
    let limits: HTTPLimits
    /// The current request's body bound and bytes so far.
    private var bodyLimit = 0
    private var bodyBytes = 0
    /// Set once a 413 was sent: everything after is dropped until the close.
    private var refusing = false

    init(_ connection: HTTPConnectionGuard, limits: HTTPLimits) {
        self.connection = connection
        self.limits = limits
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refusing else { return }
        switch unwrapInboundIn(data) {
        case .head(let request):
            bodyLimit = limits.maxBodyBytes(method: request.method.rawValue, path: request.path ?? "/")
            bodyBytes = 0
            let declared = request.headerFields[.contentLength].flatMap { Int($0) }
            if let declared, declared > bodyLimit {
                refuse(context: context, declared: declared)
                return
            }
            let chunked = request.headerFields[.transferEncoding] != nil
            connection.headReceived(hasBody: (declared ?? 0) > 0 || chunked)
        case .body(let chunk):
            bodyBytes += chunk.readableBytes
            guard bodyBytes <= bodyLimit else {
                refusing = true
                connection.cut("body_too_large", detail: "body passed \(bodyLimit) bytes")
                return
            }
            connection.bodyReceived(chunk.readableBytes)
        case .end:
            connection.requestEnded()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { connection.responseEnded() }
        context.write(data, promise: promise)
    }

    /// How long a refused connection keeps reading (and dropping) what the client
    /// still sends after the 413, so that it reads the answer instead of a reset.
    static let linger: TimeAmount = .seconds(2)

    /// 413 at once, before any of the body is read; then the output is shut and
    /// whatever still comes in is dropped for `linger`, then the connection closes.
    private func refuse(context: ChannelHandlerContext, declared: Int) {
        refusing = true
        connection.stop()
        Counter(label: "vigil_http_connections_cut_total", dimensions: [("reason", "body_too_large")]).increment()
        let message = "the body's declared \(declared) bytes exceed this route's limit of \(bodyLimit) bytes"
        let json = (try? JSONSerialization.data(withJSONObject: ["error": "too_large", "message": message], options: [.sortedKeys])) ?? Data()
        var response = HTTPResponse(status: .contentTooLarge)
        response.headerFields[.contentType] = "application/json"
        response.headerFields[.contentLength] = "\(json.count)"
        response.headerFields[.connection] = "close"
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: json))), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            let context = loopBound.value
            context.close(mode: .output, promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: Self.linger) { context.close(promise: nil) }
        }
    }
}

/// For a connection beyond the cap: answers 503 and closes, before any parsing.
final class HTTPRefuseConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    private static let answer = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: 77\r\n\r\n"
        + #"{"error":"too_many_connections","message":"too many open connections; retry"}"#

    private var done = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        refuse(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(NIOAny(ByteBuffer(string: Self.answer))).whenComplete { _ in
            loopBound.value.close(promise: nil)
        }
    }
}

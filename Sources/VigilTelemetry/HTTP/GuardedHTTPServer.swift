import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import NIOCore
import Synchronization

extension HTTPServerBuilder {
    /// The HTTP/1.1 server every Vigil daemon uses: Hummingbird's, with `limits`
    /// (after `VIGIL_HTTP_*` overrides from `environment`) enforced per connection.
    ///
    ///     Application(router: router, server: .vigil(.control), configuration: …, logger: logger)
    public static func vigil(
        _ limits: HTTPLimits, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> HTTPServerBuilder {
        let (limits, ignored) = limits.overridden(by: environment)
        let connections = OpenConnections()
        return .init { responder in
            GuardedHTTP1Channel(responder: responder, limits: limits, ignoredSettings: ignored, connections: connections)
        }
    }
}

/// Open connections of one server, across its event loops.
final class OpenConnections: Sendable {
    private let count = Atomic<Int>(0)

    /// Counts a new connection in; false (and not counted) when `limit` are open.
    func open(limit: Int) -> Bool {
        var current = count.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = count.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func close() { count.subtract(1, ordering: .relaxed) }

    private let reported = Atomic<Bool>(false)

    /// True once per server: for warnings about its settings.
    func firstToReport() -> Bool { !reported.exchange(true, ordering: .relaxed) }
}

/// Hummingbird's HTTP1 channel with the guard handlers around its parser and a
/// connection cap in front.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let responder: HTTPChannelHandler.Responder
    let limits: HTTPLimits
    let ignoredSettings: [String]
    let connections: OpenConnections

    init(responder: @escaping HTTPChannelHandler.Responder, limits: HTTPLimits, ignoredSettings: [String], connections: OpenConnections) {
        self.responder = responder
        self.limits = limits
        self.ignoredSettings = ignoredSettings
        self.connections = connections
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        if !ignoredSettings.isEmpty, connections.firstToReport() {
            logger.warning("ignored HTTP limit settings that are not positive integers", metadata: ["vigil.http.ignored": "\(ignoredSettings)"])
        }
        let admitted = connections.open(limit: limits.maxConnections)
        if admitted {
            channel.closeFuture.whenComplete { [connections] _ in connections.close() }
        } else {
            Counter(label: "vigil_http_connections_cut_total", dimensions: [("reason", "too_many_connections")]).increment()
        }
        // Hummingbird calls this on the channel's event loop (its own setup adds handlers synchronously).
        do {
            guard admitted else {
                try channel.pipeline.syncOperations.addHandler(HTTPRefuseConnectionHandler())
                return inner(nil, on: channel.eventLoop).setup(channel: channel, logger: logger)
            }
            let connection = HTTPConnectionGuard(channel: channel, limits: limits, logger: logger)
            try channel.pipeline.syncOperations.addHandler(HTTPRawBytesGuardHandler(connection))
            let requestGuard = HTTPRequestGuardHandler(connection, limits: limits)
            return inner(requestGuard, on: channel.eventLoop).setup(channel: channel, logger: logger)
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await HTTP1Channel(responder: responder).handle(value: value, logger: logger)
    }

    /// Hummingbird's channel adding `requestGuard` after its parser; the handler is
    /// made on and only used on `eventLoop`, where `setup` runs.
    private func inner(_ requestGuard: HTTPRequestGuardHandler?, on eventLoop: any EventLoop) -> HTTP1Channel {
        var decoder = HTTP1Channel.Configuration.DecoderConfiguration()
        decoder.maxHeaderListSize = limits.maxHeaderBytes
        decoder.maxHeaderFieldSize = min(decoder.maxHeaderFieldSize, limits.maxHeaderBytes)
        let handler = NIOLoopBound(requestGuard, eventLoop: eventLoop)
        return HTTP1Channel(
            responder: responder,
            configuration: .init(additionalChannelHandlers: handler.value.map { [$0] } ?? [], idleTimeout: nil, httpDecoderConfiguration: decoder))
    }
}

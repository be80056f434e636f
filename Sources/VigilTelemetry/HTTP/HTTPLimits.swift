import Foundation

/// How long and how much a daemon's HTTP server lets one client take.
///
/// Every daemon serves through `HTTPServerBuilder.vigil(_:)`, which enforces these:
/// a request head must be complete within `headerTimeout` of its first byte (a slow
/// trickle is cut, not only a silent socket); a kept-alive connection may sit idle
/// between requests for `idleTimeout`; a body must arrive at `minimumBodyBytesPerSecond`
/// on average after `bodyGrace`; a declared `Content-Length` above the route's bound
/// is answered 413 before any body byte is read, and an undeclared (chunked) body is
/// cut at the bound; beyond `maxConnections` new connections get 503 and are closed.
///
/// Each field can be overridden from the environment (`VIGIL_HTTP_<FIELD>`, see
/// `overridden(by:)`), so every daemon takes the same settings the same way.
public struct HTTPLimits: Sendable, Equatable {
    /// A route that may take larger bodies than `maxBodyBytes` (e.g. extent installs).
    public struct LargeBody: Sendable, Equatable {
        public var method: String
        /// Matches a request path that starts with this.
        public var pathPrefix: String
        public var maxBytes: Int

        public init(method: String, pathPrefix: String, maxBytes: Int) {
            self.method = method
            self.pathPrefix = pathPrefix
            self.maxBytes = maxBytes
        }
    }

    /// From the first byte of a request (or the connection's opening) to its complete head.
    public var headerTimeout: Duration = .seconds(10)
    /// Between the end of a response and the first byte of the next request; longer
    /// than clients' pool idle timeouts (AsyncHTTPClient: 60 s), so clients close first.
    public var idleTimeout: Duration = .seconds(120)
    /// Time a body gets before the minimum rate applies.
    public var bodyGrace: Duration = .seconds(10)
    /// Average body rate, after `bodyGrace`, below which the connection is closed.
    public var minimumBodyBytesPerSecond: Int = 32 << 10
    /// Open connections beyond which new ones are answered 503 and closed.
    public var maxConnections: Int = 128
    /// Largest request body on any route not listed in `largeBodies`.
    public var maxBodyBytes: Int = 1 << 20
    /// Routes allowed a larger body.
    public var largeBodies: [LargeBody] = []
    /// Largest request head (request line and header fields), in bytes.
    public var maxHeaderBytes: Int = 64 << 10

    public init() {}

    /// The body bound for one request.
    public func maxBodyBytes(method: String, path: String) -> Int {
        largeBodies.first { $0.method == method && path.hasPrefix($0.pathPrefix) }?.maxBytes ?? maxBodyBytes
    }

    /// Slack over a block's size for multipart framing and the like.
    static let slack = 64 << 10

    /// A storage node: block PUTs up to `maxBlockSize`, presence checks up to
    /// 262,144 entries of 48 bytes, extent installs (`PUT /v1/extents/…`, streamed
    /// to disk) up to 64 GiB.
    public static func node(maxBlockSize: Int) -> HTTPLimits {
        var limits = HTTPLimits()
        limits.maxConnections = 512
        limits.maxBodyBytes = max(maxBlockSize, 262_144 * 48) + slack
        limits.largeBodies = [LargeBody(method: "PUT", pathPrefix: "/v1/extents/", maxBytes: 64 << 30)]
        return limits
    }

    /// A zone's frontend: block PUTs up to `maxBlockSize`.
    public static func frontend(maxBlockSize: Int) -> HTTPLimits {
        var limits = HTTPLimits()
        limits.maxConnections = 512
        limits.maxBodyBytes = maxBlockSize + slack
        return limits
    }

    /// A master or a verifier: telemetry and small operator requests only.
    public static let control = HTTPLimits()

    /// These limits with `VIGIL_HTTP_<FIELD>` environment variables applied:
    /// `HEADER_TIMEOUT_MS`, `IDLE_TIMEOUT_MS`, `BODY_GRACE_MS`, `MIN_BODY_BYTES_PER_SECOND`,
    /// `MAX_CONNECTIONS`, `MAX_BODY_BYTES`, `MAX_LARGE_BODY_BYTES` (every large-body route),
    /// `MAX_HEADER_BYTES`. A value that is not a positive integer is ignored and reported.
    public func overridden(by environment: [String: String]) -> (limits: HTTPLimits, ignored: [String]) {
        var limits = self
        var ignored: [String] = []
        func value(_ name: String) -> Int? {
            let key = "VIGIL_HTTP_" + name
            guard let text = environment[key], !text.isEmpty else { return nil }
            guard let value = Int(text), value > 0 else {
                ignored.append("\(key)=\(text)")
                return nil
            }
            return value
        }
        if let ms = value("HEADER_TIMEOUT_MS") { limits.headerTimeout = .milliseconds(ms) }
        if let ms = value("IDLE_TIMEOUT_MS") { limits.idleTimeout = .milliseconds(ms) }
        if let ms = value("BODY_GRACE_MS") { limits.bodyGrace = .milliseconds(ms) }
        if let rate = value("MIN_BODY_BYTES_PER_SECOND") { limits.minimumBodyBytesPerSecond = rate }
        if let count = value("MAX_CONNECTIONS") { limits.maxConnections = count }
        if let bytes = value("MAX_BODY_BYTES") { limits.maxBodyBytes = bytes }
        if let bytes = value("MAX_LARGE_BODY_BYTES") {
            limits.largeBodies = limits.largeBodies.map { LargeBody(method: $0.method, pathPrefix: $0.pathPrefix, maxBytes: bytes) }
        }
        if let bytes = value("MAX_HEADER_BYTES") { limits.maxHeaderBytes = bytes }
        return (limits, ignored)
    }
}

import NIOCore

/// The deadline a connection's client must meet next, as a pure value: events in,
/// the next deadline out; the channel handlers schedule and close. No I/O, so it is
/// unit-tested with made-up clocks.
///
/// - waiting for a head: `headerTimeout` from the connection's opening, or from the
///   first byte after an idle spell (a trickle does not move it);
/// - reading a body: `bodyGrace` plus the time the bytes so far would take at the
///   minimum rate, so a body must keep up an average rate, whatever its length;
/// - request read, response pending: no deadline (the server is the slow one);
/// - idle between requests: `idleTimeout`.
public struct HTTPConnectionDeadlines: Sendable {
    public enum Phase: Sendable, Equatable {
        case idle(since: NIODeadline)
        case head(since: NIODeadline)
        case body(since: NIODeadline, received: Int)
        case responding
    }

    /// Why a connection was closed (a metric label and a log line).
    public enum Reason: String, Sendable {
        case headerTimeout = "header_timeout"
        case idleTimeout = "idle_timeout"
        case bodyTooSlow = "body_too_slow"
    }

    public private(set) var phase: Phase
    /// Requests whose head was read and whose response has not ended.
    public private(set) var inFlight = 0
    let limits: HTTPLimits

    public init(limits: HTTPLimits, openedAt now: NIODeadline) {
        self.limits = limits
        self.phase = .head(since: now)
    }

    /// Bytes arrived from the client (before parsing).
    public mutating func bytesReceived(now: NIODeadline) {
        if case .idle = phase { phase = .head(since: now) }
    }

    /// A complete request head was parsed.
    public mutating func headReceived(hasBody: Bool, now: NIODeadline) {
        inFlight += 1
        phase = hasBody ? .body(since: now, received: 0) : .responding
    }

    public mutating func bodyReceived(_ count: Int) {
        if case .body(let since, let received) = phase { phase = .body(since: since, received: received + count) }
    }

    /// The request's end was parsed.
    public mutating func requestEnded(now: NIODeadline) {
        if case .body = phase { phase = .responding }
        if inFlight == 0 { phase = .idle(since: now) }
    }

    /// A response's end was written.
    public mutating func responseEnded(now: NIODeadline) {
        inFlight = max(0, inFlight - 1)
        // A response sent before its body was read (a 401, say) leaves the body's deadline running.
        if inFlight == 0, phase == .responding { phase = .idle(since: now) }
    }

    /// When the client is next due; nil while the server is working on a response.
    public var deadline: NIODeadline? {
        switch phase {
        case .idle(let since): since + TimeAmount(limits.idleTimeout)
        case .head(let since): since + TimeAmount(limits.headerTimeout)
        case .body(let since, let received):
            since + TimeAmount(limits.bodyGrace)
                + .nanoseconds(Int64(min(Double(received) / Double(max(limits.minimumBodyBytesPerSecond, 1)) * 1e9, 1e18)))
        case .responding: nil
        }
    }

    /// Whether a timer firing at `now` means closing the connection, and why.
    public func expired(now: NIODeadline) -> Reason? {
        guard let deadline, now >= deadline else { return nil }
        switch phase {
        case .idle: return .idleTimeout
        case .head: return .headerTimeout
        case .body: return .bodyTooSlow
        case .responding: return nil
        }
    }
}

import Logging
import Metrics
import NIOCore

/// One connection's deadlines on its event loop: both guard handlers feed it events;
/// it keeps one timer at the earliest deadline and closes the channel when it passes.
/// Confined to the channel's event loop (never shared across connections).
final class HTTPConnectionGuard {
    private var deadlines: HTTPConnectionDeadlines
    private var timer: Scheduled<Void>?
    private var timerAt: NIODeadline?
    private let channel: any Channel
    private let logger: Logger
    private var closed = false

    init(channel: any Channel, limits: HTTPLimits, logger: Logger) {
        self.channel = channel
        self.logger = logger
        self.deadlines = HTTPConnectionDeadlines(limits: limits, openedAt: .now())
    }

    func bytesReceived() { update { $0.bytesReceived(now: .now()) } }
    func headReceived(hasBody: Bool) { update { $0.headReceived(hasBody: hasBody, now: .now()) } }
    func bodyReceived(_ count: Int) { update { $0.bodyReceived(count) } }
    func requestEnded() { update { $0.requestEnded(now: .now()) } }
    func responseEnded() { update { $0.responseEnded(now: .now()) } }

    /// Starts the first deadline (the head's); call once the handlers are in place.
    func start() { update { _ in } }

    func stop() {
        closed = true
        timer?.cancel()
        timer = nil
        timerAt = nil
    }

    /// Closes the connection for a reason of the guard's own.
    func cut(_ reason: String, detail: String = "") {
        guard !closed else { return }
        stop()
        Counter(label: "vigil_http_connections_cut_total", dimensions: [("reason", reason)]).increment()
        logger.info("closing HTTP connection", metadata: [
            "vigil.http.reason": "\(reason)", "vigil.http.peer": "\(channel.remoteAddress.map { "\($0)" } ?? "?")",
            "vigil.http.detail": "\(detail)",
        ])
        channel.close(mode: .all, promise: nil)
    }

    private func update(_ event: (inout HTTPConnectionDeadlines) -> Void) {
        guard !closed else { return }
        event(&deadlines)
        guard let next = deadlines.deadline else {
            timer?.cancel()
            timer = nil
            timerAt = nil
            return
        }
        // A later deadline keeps the earlier timer: it re-checks when it fires.
        if let timerAt, timerAt <= next { return }
        schedule(at: next)
    }

    private func schedule(at deadline: NIODeadline) {
        timer?.cancel()
        timerAt = deadline
        timer = channel.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            timer = nil
            timerAt = nil
            let now = NIODeadline.now()
            if let reason = deadlines.expired(now: now) {
                cut(reason.rawValue)
            } else if let next = deadlines.deadline {
                schedule(at: next)
            }
        }
    }
}

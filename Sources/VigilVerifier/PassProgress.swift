/// Progress and ETA of a pass, from a recent window of throughput. Never past
/// 100%; after a resume, the rate comes only from work done since the resume.
public struct PassProgress: Sendable {
    public var total: Double
    public private(set) var done: Double
    private var window: [(at: ContinuousClock.Instant, done: Double)] = []
    private let windowLength: Duration

    public init(total: Double, done: Double = 0, windowLength: Duration = .seconds(60)) {
        self.total = total
        self.done = done
        self.windowLength = windowLength
    }

    public mutating func record(done: Double, at now: ContinuousClock.Instant) {
        self.done = done
        window.append((now, done))
        while let first = window.first, now - first.at > windowLength, window.count > 2 { window.removeFirst() }
    }

    public var ratio: Double {
        guard total > 0 else { return done > 0 ? 1 : 0 }
        return min(1, max(0, done / total))
    }

    /// Units per second over the recent window; nil until there are two samples.
    public var rate: Double? {
        guard let first = window.first, let last = window.last, last.at > first.at else { return nil }
        let span = last.at - first.at
        let seconds = Double(span.components.seconds) + Double(span.components.attoseconds) / 1e18
        return (last.done - first.done) / seconds
    }

    /// Seconds to the end of the pass at the recent rate; nil when unknown.
    public var etaSeconds: Double? {
        guard let rate, rate > 0 else { return ratio >= 1 ? 0 : nil }
        return max(0, total - done) / rate
    }
}

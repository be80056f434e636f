import ServiceLifecycle

/// A lane that does one round of work every `interval` under a verifier's
/// bookkeeping (the scrubber's recent extents, …): what a round observes is
/// recorded like a sweep's steps, a failed round is counted, logged and shown
/// in health by kind and retried after its backoff, and no failure stops the
/// daemon (`runLane`). With `overdueAfter`, a round that long late shows on `/healthz`.
public final class PeriodicLane: Service, Sendable {
    public let name: String
    private let interval: Duration
    private let overdueAfter: Duration?
    private let book: VerifierBookkeeping
    private let round: @Sendable (VerifierBookkeeping, String) async throws -> Void

    /// `round` records what it observes with `book.record(_:lane:)`, passing the lane's name.
    public init(
        _ name: String, every interval: Duration, overdueAfter: Duration? = nil, book: VerifierBookkeeping,
        round: @escaping @Sendable (_ book: VerifierBookkeeping, _ lane: String) async throws -> Void
    ) {
        self.name = name
        self.interval = interval
        self.overdueAfter = overdueAfter
        self.book = book
        self.round = round
    }

    public func run() async throws {
        await book.runLane(name, overdueAfter: overdueAfter) {
            try await round(book, name)
            return interval
        }
    }
}

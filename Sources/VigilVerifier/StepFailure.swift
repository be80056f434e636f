import VigilCore
import VigilPostgres

/// An error that says whether trying again soon can succeed. The verifier
/// runtime consults it: a retriable failure backs off and retries the step,
/// one that is not is recorded and tried again only after a long pause.
public protocol RetriableError: Error {
    var isRetriable: Bool { get }
}

extension PostgresError: RetriableError {}
extension BlockingExecutorError: RetriableError {}

/// How a failed step is treated.
public enum StepFailure: String, Sendable {
    /// The database restarted, a peer timed out, the process is briefly
    /// overloaded; also any error that does not say (as before it was sorted).
    case retriable
    /// The error says trying again soon cannot help (a permission refused, a
    /// malformed row): an operator must act.
    case permanent

    public init(_ error: any Error) {
        self = (error as? any RetriableError)?.isRetriable == false ? .permanent : .retriable
    }
}

/// How long to wait after failed steps: a retriable failure waits `first`,
/// doubling with each consecutive failure up to `longest`; a permanent one
/// waits `afterPermanent`. A pure value, unit-tested without waiting.
public struct RetryBackoff: Sendable {
    public var first: Duration
    public var longest: Duration
    public var afterPermanent: Duration
    public private(set) var consecutiveFailures = 0

    public init(first: Duration, longest: Duration, afterPermanent: Duration) {
        self.first = first
        self.longest = longest
        self.afterPermanent = afterPermanent
    }

    public mutating func delay(after failure: StepFailure) -> Duration {
        consecutiveFailures += 1
        guard failure == .retriable else { return afterPermanent }
        var delay = first
        for _ in 1..<min(consecutiveFailures, 16) where delay < longest { delay = delay * 2 }
        return min(delay, longest)
    }

    public mutating func succeeded() { consecutiveFailures = 0 }
}

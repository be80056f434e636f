/// What a producer knows of its own health, from librdkafka's delivery reports
/// and error events. A value: the producer holds it behind its lock.
///
/// Degraded while the brokers are unreachable and messages wait in the buffer
/// (nothing waiting: nothing is being lost, so a quiet producer is not
/// degraded), and for `failureMemory` after a message failed for good; a
/// delivered message ends both.
struct KafkaProducerHealth {
    typealias Instant = ContinuousClock.Instant

    var failureMemory: Duration = .seconds(60)
    private var unreachable: (since: Instant, reason: String)?
    private var failure: (at: Instant, error: String)?

    mutating func delivered() {
        unreachable = nil
        failure = nil
    }

    mutating func failed(_ error: KafkaError, at now: Instant) {
        failure = (now, error.description)
    }

    /// An error event: every broker down, or a client that cannot reach or
    /// authenticate to the cluster. Other events (one connection closed) pass.
    mutating func clientError(_ error: KafkaError, reason: String, at now: Instant) {
        guard Self.cutsOff.contains(error.name) else { return }
        unreachable = (unreachable?.since ?? now, "\(error.name): \(reason)")
    }

    /// Nil while healthy, else what is wrong; `waiting` is how many messages the buffer holds.
    func problem(waiting: Int, at now: Instant) -> String? {
        if let unreachable, waiting > 0 {
            let seconds = (now - unreachable.since).components.seconds
            return "degraded: Kafka unreachable for \(seconds) s (\(unreachable.reason)); \(waiting) messages buffered"
        }
        if let failure, now - failure.at < failureMemory {
            let seconds = (now - failure.at).components.seconds
            return "degraded: a message failed \(seconds) s ago (\(failure.error)); \(waiting) messages buffered"
        }
        return nil
    }

    private static let cutsOff: Set<String> = ["_ALL_BROKERS_DOWN", "_AUTHENTICATION", "_SSL", "_RESOLVE", "_FATAL"]
}

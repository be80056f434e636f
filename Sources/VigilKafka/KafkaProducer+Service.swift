import ServiceLifecycle

/// The producer as a daemon's service: it serves deliveries for the daemon's
/// life and, at graceful shutdown, flushes what its buffer holds, for at most
/// `shutdownFlushTimeout` (what Kafka has not taken by then is lost; the
/// daemon's shutdown deadline is never held up longer).
extension KafkaProducer: Service {
    public func run() async throws {
        try? await gracefulShutdown()
        guard !Task.isCancelled else { return }
        try? await flush(timeout: shutdownFlushTimeout)
    }

    /// Nil while healthy; else what is wrong: the brokers unreachable while
    /// messages wait in the buffer, or a message that failed for good in the
    /// last minute (`KafkaProducerHealth`).
    public var problem: String? { deliveries.problem(waiting: inFlight) }
}

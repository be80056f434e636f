import Foundation
import Logging
import Metrics
import ServiceLifecycle
import VigilCore
import VigilFrontendClient
import VigilKafka
import VigilTelemetry
import VigilVerifier

/// One stage of the storage watcher: its own consumer group on the zone's
/// sample topic; holds each sample until written-at + delay, then reads it
/// back through the frontend. Results are recorded before offsets are
/// committed, and a partition is committed only up to its first sample not
/// yet checked (`StageQueue`), so a crash re-checks and never skips.
final class WatchStage: Service, Sendable {
    let config: StorageWatcherConfig
    let stage: StorageWatcherConfig.Stage
    /// The stage's scope's ledger and verifier metrics; its lane on the watcher's board.
    let book: VerifierBookkeeping
    let client: FrontendClient
    let logger: Logger
    let metrics: StageMetrics
    /// The first stage reports malformed samples (every stage sees the same
    /// messages; one finding per partition, not one per stage); all count them.
    let reportsMalformed: Bool
    let verifier: SampleVerifier

    init(config: StorageWatcherConfig, stage: StorageWatcherConfig.Stage, book: VerifierBookkeeping, logger: Logger) {
        self.config = config
        self.stage = stage
        self.book = book
        client = FrontendClient(address: config.frontendURL, token: config.frontendToken)
        var logger = logger
        logger[metadataKey: "vigil.stage"] = "\(stage.name)"
        self.logger = logger
        metrics = StageMetrics(zone: config.zone, stage: stage.name)
        reportsMalformed = config.stages.first == stage
        verifier = config.sampleVerifier
    }

    /// A version-1 sample admitted by `--accept-unauthenticated-samples`: counted and logged.
    func noteUnauthenticated(_ tp: TopicPartition, _ offset: Int64) {
        metrics.unauthenticated.increment()
        logger.debug("unauthenticated sample accepted (upgrade window)", metadata: [
            "vigil.partition": "\(tp.partition)", "vigil.offset": "\(offset)"])
    }

    var ledger: VerifierLedger { book.ledger }
    var lane: String { "stage \(stage.name)" }

    var frontendSubject: String { "stage/\(stage.name)/frontend" }
    func blockSubject(_ key: BlockKey) -> String { "stage/\(stage.name)/block/\(key.hex)" }

    /// The stage's lane: each round polls, checks what fell due, records and
    /// commits. A round that fails (Kafka, the findings database) closes the
    /// consumer; the next round, after the backoff, starts a new one from the
    /// committed offsets. `/healthz` shows the failure, or a round overdue.
    func run() async throws {
        var session: Session?
        await book.runLane(lane, overdueAfter: config.stageOverdueAfter) {
            do {
                if session == nil { session = try await openSession() }
                return try await round(&session!)
            } catch {
                await session?.consumer.close()
                session = nil
                throw error
            }
        }
        guard var session else { return }
        do {
            try await session.window.save()
        } catch {
            logger.warning("could not save the stage's window at shutdown", metadata: [LogKey.error: "\(error)"])
        }
        await session.consumer.close()
    }

    /// A consumer in the stage's group and what the stage holds while it consumes.
    struct Session {
        let consumer: KafkaConsumer
        var queue: StageQueue
        var window: WindowCounter
        var malformed: MalformedLog
        var lastAssignmentCheck = ContinuousClock.now
        /// nil: not observed since start (resolve on the first clean round).
        var frontendDown: Bool?
    }

    private func openSession() async throws -> Session {
        let consumer = try KafkaConsumer(
            settings: config.kafkaSettings.merging(["bootstrap.servers": config.kafkaBootstrap, "session.timeout.ms": "10000", "log_level": "3"]) { $1 },
            groupID: config.groupID(stage), topics: [config.topic])
        var session = Session(
            consumer: consumer, queue: StageQueue(delay: stage.delay, maxClockSkew: config.maxClockSkew),
            window: WindowCounter(ledger: ledger, length: config.window, metrics: book.metrics),
            malformed: MalformedLog(zone: config.zone))
        do {
            try await session.window.save()
        } catch {
            await consumer.close()
            throw error
        }
        return session
    }

    /// One poll: hold what arrived, check what fell due, record the results,
    /// then commit. Returns the pause before the next round.
    private func round(_ s: inout Session) async throws -> Duration {
        let messages = try await s.consumer.poll(max: 2_000, timeout: .milliseconds(200))
        let items = messages.map { m in
            let tp = TopicPartition(topic: m.topic, partition: m.partition)
            do {
                let opened = try verifier.open(key: m.key, value: m.value)
                if !opened.authenticated { noteUnauthenticated(tp, m.offset) }
                return HeldSample(partition: tp, offset: m.offset, sample: opened.message)
            } catch {
                // Unauthenticated, forged or undecodable: malformed, never a data check.
                return HeldSample(partition: tp, offset: m.offset, sample: nil, decodeError: "\(error)")
            }
        }
        let received = s.queue.receive(items, now: Self.nowMicros())
        try await s.consumer.pause(received.pause)
        if !received.malformed.isEmpty { try await recordMalformed(received.malformed, &s) }

        let due = s.queue.takeDue(now: Self.nowMicros())
        var frontendWaiting = false
        if !due.isEmpty {
            let outcome = try await check(due, &s)
            s.queue.finish(outcome.done)
            s.queue.putBack(outcome.waiting)
            frontendWaiting = !outcome.waiting.isEmpty
        }
        // Results are recorded: commit each partition up to its first sample not done.
        try await s.consumer.commit(s.queue.commitOffsets())
        try await s.consumer.resume(s.queue.partitionsToResume())
        let now = Self.nowMicros()
        metrics.lag.record(s.queue.oldestOverdue(now: now).map { Double(max(0, now - $0)) / 1e6 } ?? 0)
        metrics.held.record(s.queue.heldCount)
        try await s.window.rollIfDue()
        if ContinuousClock.now - s.lastAssignmentCheck > .seconds(5) {
            s.queue.keepOnly(Set(try await s.consumer.assignment()))
            s.lastAssignmentCheck = .now
        }
        // While the frontend does not answer, retry after a pause; only a few samples probe it meanwhile.
        return frontendWaiting ? .seconds(1) : .zero
    }

    static func nowMicros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }
}


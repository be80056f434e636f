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
    private func noteUnauthenticated(_ tp: TopicPartition, _ offset: Int64) {
        metrics.unauthenticated.increment()
        logger.debug("unauthenticated sample accepted (upgrade window)", metadata: [
            "vigil.partition": "\(tp.partition)", "vigil.offset": "\(offset)"])
    }

    var ledger: VerifierLedger { book.ledger }
    var lane: String { "stage \(stage.name)" }

    var frontendSubject: String { "stage/\(stage.name)/frontend" }
    func blockSubject(_ key: BlockKey) -> String { "stage/\(stage.name)/block/\(key.hex)" }

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await consume()
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                // Kafka or the findings database failed: the consumer restarts after the backoff.
                let delay = book.failed(error, lane: lane)
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
            }
        }
    }

    private func consume() async throws {
        let consumer = try KafkaConsumer(
            settings: config.kafkaSettings.merging(["bootstrap.servers": config.kafkaBootstrap, "session.timeout.ms": "10000", "log_level": "3"]) { $1 },
            groupID: config.groupID(stage), topics: [config.topic])
        var state = LoopState(
            queue: StageQueue(delay: stage.delay, maxClockSkew: config.maxClockSkew),
            window: WindowCounter(ledger: ledger, length: config.window, metrics: book.metrics),
            malformed: MalformedLog(zone: config.zone))
        do {
            try await state.window.save()
            try await loop(consumer, &state)
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
    }

    struct LoopState {
        var queue: StageQueue
        var window: WindowCounter
        var malformed: MalformedLog
        var lastAssignmentCheck = ContinuousClock.now
        /// nil: not observed since start (resolve on the first clean round).
        var frontendDown: Bool?
    }

    private func loop(_ consumer: KafkaConsumer, _ s: inout LoopState) async throws {
        while !Task.isShuttingDownGracefully {
            let messages = try await consumer.poll(max: 2_000, timeout: .milliseconds(200))
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
            try await consumer.pause(received.pause)
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
            try await consumer.commit(s.queue.commitOffsets())
            try await consumer.resume(s.queue.partitionsToResume())
            let now = Self.nowMicros()
            metrics.lag.record(s.queue.oldestOverdue(now: now).map { Double(max(0, now - $0)) / 1e6 } ?? 0)
            metrics.held.record(s.queue.heldCount)
            try await s.window.rollIfDue()
            book.succeeded(lane: lane)
            if ContinuousClock.now - s.lastAssignmentCheck > .seconds(5) {
                s.queue.keepOnly(Set(try await consumer.assignment()))
                s.lastAssignmentCheck = .now
            }
            if frontendWaiting {
                // Retry after a pause; only a few samples probe the frontend meanwhile.
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            }
        }
        try await s.window.save()
    }

    private func recordMalformed(_ malformed: [MalformedSample], _ s: inout LoopState) async throws {
        metrics.malformed.increment(by: malformed.count)
        for m in malformed.prefix(10) {
            logger.warning("malformed sample: counted, not held", metadata: [
                "vigil.partition": "\(m.partition)", "vigil.offset": "\(m.offset)", "vigil.reason": "\(m.reason)"])
        }
        let findings = s.malformed.add(malformed)
        guard reportsMalformed else { return }
        book.metrics.newFindings.increment(by: try await ledger.report(findings))
    }

    struct CheckOutcome {
        var done: [HeldSample] = []
        var waiting: [HeldSample] = []
    }

    /// Checks due samples, `config.concurrency` at a time, and records their
    /// results. While the frontend does not answer, the rest of the batch is
    /// not tried: it waits with the samples that failed to be read.
    private func check(_ due: [HeldSample], _ s: inout LoopState) async throws -> CheckOutcome {
        var results: [(HeldSample, SampleMessage, SampleResult)] = []
        var untried: [HeldSample] = []
        var start = 0
        while start < due.count {
            let slice = due[start..<min(due.count, start + config.concurrency)]
            start += slice.count
            let client = client
            let answers = await withTaskGroup(of: (HeldSample, SampleMessage, SampleResult).self) { group in
                for item in slice {
                    let sample = item.sample!  // the queue holds decoded samples only
                    group.addTask { (item, sample, await checkSample(sample, client: client)) }
                }
                var out: [(HeldSample, SampleMessage, SampleResult)] = []
                for await r in group { out.append(r) }
                return out
            }
            results += answers
            if answers.contains(where: { if case .frontendUnavailable = $0.2 { true } else { false } }) {
                untried = Array(due[start...])
                break
            }
        }

        var outcome = CheckOutcome(waiting: untried)
        var findings: [Finding] = []
        var clean: [String] = []
        var unavailable: [String: String] = [:]  // condition → detail
        for (item, sample, result) in results {
            switch result {
            case .ok, .expectedAbsent:
                metrics.checked.increment()
                book.metrics.items.increment()
                if result == .ok { book.metrics.bytes.increment(by: Int(sample.length)) } else { metrics.expectedAbsent.increment() }
                s.window.checked += 1
                clean.append(blockSubject(sample.key))
                outcome.done.append(item)
            case .failed(let kind, let detail):
                metrics.checked.increment()
                book.metrics.items.increment()
                metrics.failed.increment()
                s.window.checked += 1
                findings.append(Finding(
                    kind: kind, subject: blockSubject(sample.key), severity: .critical,
                    details: ["zone": config.zone, "stage": stage.name, "key": sample.key.hex, "volume": "\(sample.volume)",
                              "written_at_us": "\(sample.writtenAtMicros)", "partition": "\(item.partition.partition)",
                              "offset": "\(item.offset)", "detail": detail]))
                outcome.done.append(item)
            case .frontendUnavailable(let condition, let detail):
                metrics.waiting.increment()
                book.metrics.unreachable.increment()
                unavailable[condition] = detail
                outcome.waiting.append(item)
            }
        }
        let failedSubjects = Set(findings.map(\.subject))
        clean.removeAll { failedSubjects.contains($0) }

        if unavailable.isEmpty {
            if s.frontendDown != false {
                let resolved = try await ledger.resolve(subjectPrefix: frontendSubject, resolution: "the frontend answered every read")
                if s.frontendDown == true || resolved > 0 { logger.info("frontend answers again", metadata: ["vigil.resolved": "\(resolved)"]) }
                s.frontendDown = false
            }
            book.setConditions([], lane: lane)
        } else {
            for (condition, detail) in unavailable.sorted(by: { $0.key < $1.key }) {
                findings.append(Finding(
                    kind: condition, subject: frontendSubject, severity: FindingKind(rawValue: condition).entry?.severity ?? .warning,
                    details: ["zone": config.zone, "stage": stage.name, "frontend": config.frontendURL,
                              "waiting": "\(outcome.waiting.count)", "detail": detail]))
            }
            if s.frontendDown != true {
                logger.warning("frontend unavailable; samples wait and are retried, nothing is reported against the data", metadata: [
                    "vigil.waiting": "\(outcome.waiting.count)", LogKey.error: "\(unavailable.values.first ?? "")"])
            }
            s.frontendDown = true
            book.setConditions(["frontend: \(unavailable.keys.sorted().joined(separator: ",")): \(unavailable.values.first ?? ""); \(outcome.waiting.count) samples waiting"], lane: lane)
        }
        // Record results before the offsets are committed.
        book.metrics.newFindings.increment(by: try await ledger.report(findings))
        if !clean.isEmpty { try await ledger.resolve(subjectPrefixes: clean, resolution: "read back clean at this stage") }
        try await s.window.save()
        return outcome
    }

    static func nowMicros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }
}

/// The ledger's view of a stage: one pass per window, counting samples checked.
struct WindowCounter {
    let ledger: VerifierLedger
    let length: Duration
    let metrics: VerifierMetrics
    var pass: PassState?
    var started = ContinuousClock.now
    var checked = 0

    init(ledger: VerifierLedger, length: Duration, metrics: VerifierMetrics) {
        self.ledger = ledger
        self.length = length
        self.metrics = metrics
    }

    mutating func save() async throws {
        if pass == nil { pass = try await ledger.startOrResumePass(); checked = Int(pass!.itemsChecked) }
        pass!.itemsChecked = Int64(checked)
        try await ledger.save(pass!)
    }

    mutating func rollIfDue() async throws {
        guard ContinuousClock.now - started >= length else { return }
        try await save()
        try await ledger.complete(pass!)
        metrics.passes.increment()
        metrics.lastComplete.record(Date().timeIntervalSince1970)
        pass = nil
        checked = 0
        started = .now
        try await save()
    }
}

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
/// back through the frontend. Offsets are committed only after results are
/// recorded, so a crash re-checks and never skips.
final class WatchStage: Service, Sendable {
    let config: StorageWatcherConfig
    let stage: StorageWatcherConfig.Stage
    let ledger: VerifierLedger
    let client: FrontendClient
    let logger: Logger
    let metrics: StageMetrics

    init(config: StorageWatcherConfig, stage: StorageWatcherConfig.Stage, ledger: VerifierLedger, logger: Logger) {
        self.config = config
        self.stage = stage
        self.ledger = ledger
        client = FrontendClient(address: config.frontendURL, token: config.frontendToken)
        var logger = logger
        logger[metadataKey: "vigil.stage"] = "\(stage.name)"
        self.logger = logger
        metrics = StageMetrics(zone: config.zone, stage: stage.name)
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await consume()
            } catch {
                logger.error("stage failed; restarting its consumer", metadata: [LogKey.error: "\(error)"])
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(2)) }
            }
        }
    }

    private func consume() async throws {
        let consumer = try KafkaConsumer(
            settings: ["bootstrap.servers": config.kafkaBootstrap, "session.timeout.ms": "10000", "log_level": "3"],
            groupID: config.groupID(stage), topics: [config.topic])
        var queue = StageQueue(delay: stage.delay)
        var window = WindowCounter(ledger: ledger, length: config.window)
        var lastAssignmentCheck = ContinuousClock.now
        do {
            try await window.save()
            try await loop(consumer, &queue, &window, &lastAssignmentCheck)
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
    }

    private func loop(
        _ consumer: KafkaConsumer, _ queue: inout StageQueue, _ window: inout WindowCounter, _ lastAssignmentCheck: inout ContinuousClock.Instant
    ) async throws {
        while !Task.isShuttingDownGracefully {
            let messages = try await consumer.poll(max: 2_000, timeout: .milliseconds(200))
            let items = messages.map { m in
                HeldSample(partition: TopicPartition(topic: m.topic, partition: m.partition), offset: m.offset,
                           sample: try? SampleMessage.decode(key: m.key, value: m.value))
            }
            try await consumer.pause(queue.receive(items))

            let now = Self.nowMicros()
            let due = queue.takeDue(now: now)
            if !due.isEmpty {
                let (done, unreachable) = try await check(due, window: &window)
                queue.putBack(unreachable)
                var offsets: [TopicPartition: Int64] = [:]
                for item in done { offsets[item.partition] = max(offsets[item.partition] ?? 0, item.offset + 1) }
                try await consumer.commit(offsets)
                if !unreachable.isEmpty {
                    logger.warning("frontend unreachable; samples wait, nothing is reported", metadata: ["vigil.waiting": "\(unreachable.count)"])
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
                }
            }
            try await consumer.resume(queue.partitionsToResume())
            metrics.lag.record(queue.oldestDue(now: Self.nowMicros()).map { Double(Self.nowMicros() - $0) / 1e6 } ?? 0)
            metrics.held.record(queue.heldCount)
            try await window.rollIfDue()
            if ContinuousClock.now - lastAssignmentCheck > .seconds(5) {
                queue.keepOnly(Set(try await consumer.assignment()))
                lastAssignmentCheck = .now
            }
        }
        try await window.save()
    }

    /// Checks due samples, `config.concurrency` at a time; records their results.
    /// Returns the samples done and those to retry (frontend unreachable).
    private func check(_ due: [HeldSample], window: inout WindowCounter) async throws -> (done: [HeldSample], unreachable: [HeldSample]) {
        var results: [(HeldSample, SampleResult?)] = []
        for start in stride(from: 0, to: due.count, by: config.concurrency) {
            let slice = due[start..<min(due.count, start + config.concurrency)]
            let client = client
            results += await withTaskGroup(of: (HeldSample, SampleResult?).self) { group in
                for item in slice {
                    group.addTask {
                        guard let sample = item.sample else { return (item, nil) }
                        return (item, await checkSample(sample, client: client))
                    }
                }
                var out: [(HeldSample, SampleResult?)] = []
                for await r in group { out.append(r) }
                return out
            }
        }
        var findings: [Finding] = []
        var done: [HeldSample] = []
        var unreachable: [HeldSample] = []
        for (item, result) in results {
            switch result {
            case nil:
                metrics.malformed.increment()
                done.append(item)
            case .ok?:
                metrics.checked.increment()
                window.checked += 1
                done.append(item)
            case .expectedAbsent?:
                metrics.checked.increment()
                metrics.expectedAbsent.increment()
                window.checked += 1
                done.append(item)
            case .failed(let kind, let detail)?:
                metrics.checked.increment()
                metrics.failed.increment()
                window.checked += 1
                let sample = item.sample!
                findings.append(Finding(
                    kind: kind, subject: "stage/\(stage.name)/block/\(sample.key.hex)", severity: .critical,
                    details: ["zone": config.zone, "stage": stage.name, "key": sample.key.hex, "volume": "\(sample.volume)",
                              "written_at_us": "\(sample.writtenAtMicros)", "detail": detail]))
                done.append(item)
            case .frontendUnreachable?:
                unreachable.append(item)
            }
        }
        // Record results before the offsets are committed.
        try await ledger.report(findings)
        try await window.save()
        return (done, unreachable)
    }

    static func nowMicros() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000_000) }
}

/// The ledger's view of a stage: one pass per window, counting samples checked.
struct WindowCounter {
    let ledger: VerifierLedger
    let length: Duration
    var pass: PassState?
    var started = ContinuousClock.now
    var checked = 0

    init(ledger: VerifierLedger, length: Duration) {
        self.ledger = ledger
        self.length = length
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
        pass = nil
        checked = 0
        started = .now
        try await save()
    }
}

struct StageMetrics: Sendable {
    let checked, failed, expectedAbsent, malformed: Counter
    let lag, held: Gauge

    init(zone: String, stage: String) {
        let labels = [("zone", zone), ("stage", stage)]
        checked = Counter(label: "vigil_watcher_checked_total", dimensions: labels)
        failed = Counter(label: "vigil_watcher_failed_total", dimensions: labels)
        expectedAbsent = Counter(label: "vigil_watcher_expected_absent_total", dimensions: labels)
        malformed = Counter(label: "vigil_watcher_malformed_total", dimensions: labels)
        lag = Gauge(label: "vigil_watcher_lag_seconds", dimensions: labels)
        held = Gauge(label: "vigil_watcher_held_samples", dimensions: labels)
    }
}

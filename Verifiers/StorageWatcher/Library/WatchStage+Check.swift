import VigilCore
import VigilFrontendClient
import VigilKafka
import VigilTelemetry
import VigilVerifier

extension WatchStage {
    func recordMalformed(_ malformed: [MalformedSample], _ s: inout Session) async throws {
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
    func check(_ due: [HeldSample], _ s: inout Session) async throws -> CheckOutcome {
        var results: [(HeldSample, SampleMessage, SampleResult)] = []
        var untried: [HeldSample] = []
        var start = 0
        while start < due.count {
            let slice = due[start..<min(due.count, start + config.concurrency)]
            start += slice.count
            let client = client
            // A read cancelled by shutdown ends the round: its samples stay uncommitted, checked after the restart.
            let answers = try await withThrowingTaskGroup(of: (HeldSample, SampleMessage, SampleResult).self) { group in
                for item in slice {
                    let sample = item.sample!  // the queue holds decoded samples only
                    group.addTask { (item, sample, try await checkSample(sample, client: client)) }
                }
                var out: [(HeldSample, SampleMessage, SampleResult)] = []
                for try await r in group { out.append(r) }
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
}

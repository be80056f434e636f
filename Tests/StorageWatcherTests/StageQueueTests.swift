import Foundation
import Testing
import VigilCore
import VigilFrontendClient
import VigilKafka
@testable import VigilStorageWatcher

@Suite(.timeLimit(.minutes(1))) struct StageQueueTests {
    let p0 = TopicPartition(topic: "t", partition: 0)
    let p1 = TopicPartition(topic: "t", partition: 1)
    static let second: Int64 = 1_000_000

    func item(_ p: TopicPartition, _ offset: Int64, writtenAt: Int64) -> HeldSample {
        HeldSample(partition: p, offset: offset, sample: SampleMessage(key: .of([UInt8(offset)]), zone: "z", volume: 1, length: 1, writtenAtMicros: writtenAt))
    }

    func garbage(_ p: TopicPartition, _ offset: Int64) -> HeldSample {
        HeldSample(partition: p, offset: offset, sample: nil, decodeError: "value is 3 bytes")
    }

    @Test func holdsUntilDueAndPausesPartitionsWithAnythingHeld() {
        var queue = StageQueue(delay: .seconds(10))
        let paused = queue.receive([item(p0, 0, writtenAt: 0), item(p0, 1, writtenAt: 5 * Self.second), item(p1, 0, writtenAt: 1 * Self.second)], now: 0).pause
        #expect(Set(paused) == [p0, p1])
        #expect(queue.takeDue(now: 9_999_999).isEmpty)
        let first = queue.takeDue(now: 10 * Self.second)
        #expect(first.map(\.offset) == [0])
        queue.finish(first)
        #expect(queue.partitionsToResume().isEmpty, "p0 still holds offset 1, p1 offset 0")
        let due = queue.takeDue(now: 20 * Self.second)
        #expect(Set(due.map { "\($0.partition.partition):\($0.offset)" }) == ["0:1", "1:0"])
        #expect(queue.partitionsToResume().isEmpty, "in flight: not yet resumed")
        queue.finish(due)
        #expect(Set(queue.partitionsToResume()) == [p0, p1])
        #expect(queue.heldCount == 0)
    }

    @Test("a sample put back holds its partition's commit; later samples done do not move it")
    func putBackHoldsTheCommit() {
        var queue = StageQueue(delay: .zero)
        _ = queue.receive((10...14).map { item(p0, $0, writtenAt: 0) }, now: 0)
        let due = queue.takeDue(now: 0)
        #expect(due.map(\.offset) == [10, 11, 12, 13, 14])
        // 10 done, 11 could not be read (frontend down), 12...14 done.
        queue.finish(due.filter { $0.offset != 11 })
        queue.putBack(due.filter { $0.offset == 11 })
        #expect(queue.commitOffsets() == [p0: 11], "committed only past 10: a crash now re-reads 11")
        #expect(queue.commitOffsets().isEmpty, "nothing moved")
        #expect(queue.partitionsToResume().isEmpty, "11 still waits: the partition stays paused")
        #expect(queue.oldestOverdue(now: 5 * Self.second) == 0, "the put-back sample counts in the lag")
        let retry = queue.takeDue(now: 0)
        #expect(retry.map(\.offset) == [11], "only the put-back sample is checked again")
        queue.finish(retry)
        #expect(queue.commitOffsets() == [p0: 15], "now every received offset is done")
        #expect(queue.partitionsToResume() == [p0])
    }

    @Test("the commit never passes a sample in flight or not yet due, whatever order checks finish in")
    func commitIsTheContiguousDonePrefix() {
        var queue = StageQueue(delay: .seconds(10))
        _ = queue.receive([item(p0, 0, writtenAt: 5 * Self.second), item(p0, 1, writtenAt: 0), item(p0, 2, writtenAt: 0)], now: 0)
        let due = queue.takeDue(now: 10 * Self.second)
        #expect(due.map(\.offset) == [1, 2], "later offsets due first are checked")
        queue.finish(due)
        #expect(queue.commitOffsets().isEmpty, "offset 0 is not checked yet")
        queue.finish(queue.takeDue(now: 15 * Self.second))
        #expect(queue.commitOffsets() == [p0: 3])
    }

    @Test("malformed and far-future samples are done at once and never pause a partition")
    func malformedSamplesAreDoneAndNeverPause() {
        var queue = StageQueue(delay: .seconds(3600), maxClockSkew: .seconds(300))
        let now = 1_000 * Self.second
        let received = queue.receive([garbage(p0, 7), item(p0, 8, writtenAt: now + 86_400 * Self.second), item(p1, 0, writtenAt: now + 299 * Self.second)], now: now)
        #expect(received.malformed.map(\.offset) == [7, 8])
        #expect(received.malformed.map(\.partition) == [p0, p0])
        #expect(received.malformed[0].reason == "value is 3 bytes")
        #expect(received.malformed[1].reason.contains("future"))
        #expect(received.pause == [p1], "within the skew bound: held; p0 holds nothing")
        #expect(queue.commitOffsets() == [p0: 9], "both malformed offsets are committable")
        #expect(queue.oldestOverdue(now: now + 100 * 86_400 * Self.second) == now + 299 * Self.second + 3600 * Self.second,
                "the far-future sample never shows in (or hides) the lag")
        // A good sample after them flows: received, due, checked, committed.
        let later = queue.receive([item(p0, 9, writtenAt: now)], now: now)
        #expect(later.pause == [p0] && later.malformed.isEmpty)
        let due = queue.takeDue(now: now + 3600 * Self.second)
        #expect(due.map(\.offset) == [9])
        queue.finish(due)
        #expect(queue.commitOffsets() == [p0: 10])
        #expect(queue.partitionsToResume() == [p0])
    }

    @Test func malformedBehindAHeldSampleWaitsForItsCommit() {
        var queue = StageQueue(delay: .seconds(60))
        _ = queue.receive([item(p0, 0, writtenAt: 0), garbage(p0, 1)], now: 0)
        #expect(queue.commitOffsets().isEmpty, "offset 0 is held")
        queue.finish(queue.takeDue(now: 60 * Self.second))
        #expect(queue.commitOffsets() == [p0: 2])
    }

    @Test func redeliveredOffsetsAreIgnored() {
        var queue = StageQueue(delay: .zero)
        _ = queue.receive([item(p0, 3, writtenAt: 0)], now: 0)
        _ = queue.receive([item(p0, 3, writtenAt: 0)], now: 0)
        #expect(queue.takeDue(now: 0).map(\.offset) == [3])
        #expect(queue.heldCount == 1)
    }

    @Test func revokedPartitionsAreForgotten() {
        var queue = StageQueue(delay: .seconds(60))
        _ = queue.receive([item(p0, 0, writtenAt: 0), item(p1, 0, writtenAt: 0)], now: 0)
        queue.keepOnly([p1])
        #expect(queue.heldCount == 1)
        #expect(queue.paused == [p1])
    }

    @Test("one malformed_sample finding per partition, counting them and naming the first offset")
    func malformedLogAggregatesPerPartition() {
        var log = MalformedLog(zone: "z")
        let storm = (5..<505).map { MalformedSample(partition: p0, offset: $0, reason: "undecodable") }
        let findings = log.add(storm)
        #expect(findings.count == 1)
        #expect(findings[0].kind == "malformed_sample" && findings[0].severity == .warning)
        #expect(findings[0].subject == "topic/t/partition/0")
        #expect(findings[0].details["count"] == "500" && findings[0].details["first_offset"] == "5")
        let again = log.add([MalformedSample(partition: p0, offset: 900, reason: "future")])
        #expect(again.map(\.subject) == ["topic/t/partition/0"], "the same subject: the open finding is updated, not doubled")
        #expect(again[0].details["count"] == "501" && again[0].details["first_offset"] == "5")
    }
}

@Suite(.timeLimit(.minutes(1))) struct SampleClassificationTests {
    func error(_ status: Int, _ code: String, _ message: String) -> FrontendClientError {
        FrontendClientError(status: status, body: Array(#"{"error":"\#(code)","message":"\#(message)"}"#.utf8))
    }

    @Test("an outage, a refused token or an unanswered replica is never a data finding")
    func outagesWait() {
        let outages = [
            FrontendClientError(status: 0, body: Array("frontend http://x unreachable: connection refused".utf8)),
            error(503, "index_unavailable", "the block index cannot be reached; retry"),
            error(503, "unavailable", "cannot serve now: no replica served a verified copy (node-1: unreachable; node-2: SHA-256 mismatch)"),
            error(503, "unavailable", "no replica served a verified copy ()"),
            error(503, "unavailable", "no replica served a verified copy (node-1: node node-1 refused the node token (401): fix it)"),
            error(502, "bad_gateway", "proxy"),
            FrontendClientError(status: 503, body: Array("Service Unavailable".utf8)),
        ]
        for e in outages {
            guard case .frontendUnavailable(let condition, _) = classify(e) else { Issue.record("\(e) is a data finding"); continue }
            #expect(condition == "frontend_unavailable")
        }
        guard case .frontendUnavailable(let condition, _) = classify(error(401, "unauthorized", "send a token")) else { Issue.record("401"); return }
        #expect(condition == "frontend_unauthorized")
    }

    @Test("the frontend answered and every replica served wrong or absent bytes: a data finding")
    func badDataOnEveryReplicaIsAFinding() {
        let e = error(503, "unavailable", "cannot serve now: no replica served a verified copy (node-1: SHA-256 mismatch; node-2: node node-2 answered 500 corrupt_record: crc; node-3: node node-3 answered 404 not_found: gone)")
        guard case .failed(let kind, _) = classify(e) else { Issue.record("not a finding"); return }
        #expect(kind == "corrupt")
        let gone = error(503, "unavailable", "no replica served a verified copy (node-1: node node-1 answered 404 not_found: x; node-2: node node-2 answered 404 unknown_volume: y)")
        guard case .failed(let absent, _) = classify(gone) else { Issue.record("not a finding"); return }
        #expect(absent == "not_found")
    }
}

@Suite(.timeLimit(.minutes(1))) struct BlackBoxRuleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the storage watcher imports nothing of the store's internals")
    func watcherIsABlackBox() throws {
        let allowed: Set<String> = [
            "Foundation", "Logging", "Metrics", "ServiceLifecycle", "Hummingbird", "Prometheus", "Synchronization", "ArgumentParser",
            "VigilCore", "VigilKafka", "VigilFrontendClient", "VigilVerifier", "VigilTelemetry", "VigilDaemon", "VigilStorageWatcher",
        ]
        let folder = Self.root.appendingPathComponent("Verifiers/StorageWatcher")
        let files = FileManager.default.enumerator(atPath: folder.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(!files.isEmpty)
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                let module = String(line.split(separator: " ").last!)
                #expect(allowed.contains(module), "\(file) imports \(module)")
            }
        }
        // And the package gives its target no other dependency.
        let manifest = try String(contentsOf: Self.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let start = try #require(manifest.range(of: "name: \"VigilStorageWatcher\""))
        let block = manifest[start.upperBound...].prefix { $0 != "]" }
        for forbidden in ["VigilNode\"", "VigilNodeClient", "VigilFrontend\"", "VigilMaster", "VigilPostgres", "VigilDev"] {
            #expect(!block.contains(forbidden), "VigilStorageWatcher depends on \(forbidden)")
        }
    }
}

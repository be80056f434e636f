import Foundation
import Testing
import VigilCore
import VigilKafka
@testable import VigilStorageWatcher

@Suite struct StageQueueTests {
    let p0 = TopicPartition(topic: "t", partition: 0)
    let p1 = TopicPartition(topic: "t", partition: 1)

    func item(_ p: TopicPartition, _ offset: Int64, writtenAt: Int64) -> HeldSample {
        HeldSample(partition: p, offset: offset, sample: SampleMessage(key: .of([UInt8(offset)]), zone: "z", volume: 1, length: 1, writtenAtMicros: writtenAt))
    }

    @Test func holdsUntilDueAndPausesPartitionsWithAnythingHeld() {
        var queue = StageQueue(delay: .seconds(10))
        let paused = queue.receive([item(p0, 0, writtenAt: 0), item(p0, 1, writtenAt: 5_000_000), item(p1, 0, writtenAt: 1_000_000)])
        #expect(Set(paused) == [p0, p1])
        #expect(queue.takeDue(now: 9_999_999).isEmpty)
        #expect(queue.takeDue(now: 10_000_000).map(\.offset) == [0])
        #expect(queue.partitionsToResume().isEmpty, "p0 still holds offset 1, p1 offset 0")
        let due = queue.takeDue(now: 20_000_000)
        #expect(Set(due.map { "\($0.partition.partition):\($0.offset)" }) == ["0:1", "1:0"])
        #expect(Set(queue.partitionsToResume()) == [p0, p1])
        #expect(queue.heldCount == 0)
    }

    @Test func malformedSamplesAreDueAtOnceInOffsetOrder() {
        var queue = StageQueue(delay: .seconds(3600))
        _ = queue.receive([HeldSample(partition: p0, offset: 7, sample: nil), item(p0, 8, writtenAt: 0)])
        #expect(queue.takeDue(now: 0).map(\.offset) == [7])
    }

    @Test func samplesPutBackAreCheckedFirstNextTime() {
        var queue = StageQueue(delay: .zero)
        _ = queue.receive([item(p0, 1, writtenAt: 0), item(p0, 2, writtenAt: 0)])
        let due = queue.takeDue(now: 0)
        queue.putBack(due)
        #expect(queue.takeDue(now: 0).map(\.offset) == [1, 2])
    }

    @Test func revokedPartitionsAreForgotten() {
        var queue = StageQueue(delay: .seconds(60))
        _ = queue.receive([item(p0, 0, writtenAt: 0), item(p1, 0, writtenAt: 0)])
        queue.keepOnly([p1])
        #expect(queue.heldCount == 1)
        #expect(queue.paused == [p1])
    }
}

@Suite struct BlackBoxRuleTests {
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

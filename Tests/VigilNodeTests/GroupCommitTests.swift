import Foundation
import Synchronization
import Testing
import VigilCore
@testable import VigilNode

/// The node acknowledges a write only once an `fdatasync` that started after
/// its append returned; concurrent writes to a volume share that sync; a
/// failed sync acknowledges nothing, then or later (a failing disk is
/// simulated by the store's flush hook, which runs before each sync).
@Suite("Group commit", .serialized, .timeLimit(.minutes(2)))
struct GroupCommitTests {
    static func blocks(_ count: Int, tag: String) -> [(key: BlockKey, data: [UInt8])] {
        (0..<count).map { i in
            let data = Array("group commit \(tag) \(i) ".utf8) + [UInt8](repeating: UInt8(i % 251), count: 4096)
            return (BlockKey.of(data), data)
        }
    }

    /// Puts every block at once; each result is the offset or the error.
    static func putAll(_ store: NodeStore, _ blocks: [(key: BlockKey, data: [UInt8])]) async -> [Result<UInt64?, any Error>] {
        await withTaskGroup(of: Result<UInt64?, any Error>.self) { group in
            for block in blocks {
                group.addTask {
                    do { return .success(try await store.put(volume: 1, key: block.key, data: block.data)) } catch { return .failure(error) }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test("32 concurrent puts to one volume share two fdatasyncs, and each reads back once acknowledged")
    func concurrentPutsShareASync() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        _ = try await node.store.createVolume(1, generation: 1)
        let blocks = Self.blocks(32, tag: "shared")
        let path = node.path(ExtentName(volume: 1, generation: 1))
        let fullSize = ExtentFormat.extentHeaderSize + blocks.reduce(0) { $0 + ExtentFormat.recordHeaderSize + $1.data.count }
        let flushes = Atomic(0)
        // The first flush lasts until every block is appended: the writers
        // waiting meanwhile must all be released by one more flush.
        node.store.flushHook.withLock {
            $0 = {
                guard flushes.add(1, ordering: .relaxed).newValue == 1 else { return }
                let deadline = ContinuousClock.now + .seconds(20)
                while ContinuousClock.now < deadline, ((try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) < fullSize {
                    usleep(1000)
                }
            }
        }
        let results = await Self.putAll(node.store, blocks)
        #expect(results.allSatisfy { (try? $0.get()) != nil }, "every put acknowledged with an offset: \(results)")
        #expect(flushes.load(ordering: .relaxed) == 2)
        for block in blocks {
            #expect(try await node.store.get(volume: 1, key: block.key) == block.data)
        }
        #expect(node.presence(blocks, volume: 1).allSatisfy { $0 == .present })
    }

    @Test("a failed fdatasync acknowledges none of the writes waiting on it, indexes none, and the extent takes no more")
    func failedSyncAcknowledgesNothing() async throws {
        var node = try TempNode()
        defer { node.cleanUp() }
        let before = try await node.fill(volume: 1, count: 3, seal: false, tag: "before")
        let blocks = Self.blocks(16, tag: "failing")
        let path = node.path(ExtentName(volume: 1, generation: 1))
        node.store.flushHook.withLock { $0 = { throw FileIOError(path: path, operation: "fdatasync", errno: EIO) } }

        let results = await Self.putAll(node.store, blocks)
        for result in results {
            guard case .failure(let error) = result else { Issue.record("a write was acknowledged: \(result)"); continue }
            #expect("\(error)".contains("Input/output error"), "the failure says why: \(error)")
        }
        #expect(node.presence(blocks, volume: 1).allSatisfy { $0 == .absent })
        for block in blocks {
            #expect(await nodeError { _ = try await node.store.get(volume: 1, key: block.key) }?.code == "not_found")
        }
        // Writes acknowledged before the failure stand.
        #expect(node.presence(before, volume: 1).allSatisfy { $0 == .present })
        #expect(try await node.store.get(volume: 1, key: before[0].key) == before[0].data)

        // The disk recovers, but the extent does not take writes nor a seal
        // over appends the kernel may have dropped.
        node.store.flushHook.withLock { $0 = nil }
        let later = Self.blocks(1, tag: "later")[0]
        await #expect(throws: (any Error).self) { try await node.store.put(volume: 1, key: later.key, data: later.data) }
        await #expect(throws: (any Error).self) { try await node.store.seal(volume: 1) }

        // Reopened from the disk (a restart), the extent takes writes again.
        try node.restart()
        #expect(try await node.store.put(volume: 1, key: later.key, data: later.data) != nil)
        #expect(try await node.store.get(volume: 1, key: later.key) == later.data)
    }

    @Test("a write of a block whose first write is still waiting for its flush waits for the same flush, and one record is written")
    func duplicateWaitsForTheFirst() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        _ = try await node.store.createVolume(1, generation: 1)
        let block = Self.blocks(1, tag: "twice")[0]
        let results = await Self.putAll(node.store, Array(repeating: block, count: 8))
        let offsets = results.compactMap { try? $0.get() }
        #expect(offsets.count == 1, "one write appends, the others find it: \(results)")
        #expect(results.allSatisfy { if case .success = $0 { true } else { false } }, "all acknowledged: \(results)")
        let path = node.path(ExtentName(volume: 1, generation: 1))
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(size == ExtentFormat.extentHeaderSize + ExtentFormat.recordHeaderSize + block.data.count)
    }
}

import Foundation
import Logging
import Testing
import VigilCore
@testable import VigilNode

@Suite("Node notices extent files changed under it")
struct DiskChangeTests {
    /// Two extents swapped by rename under a running store: after the disk
    /// check, presence follows the disk (each name now holds another volume's
    /// extent: absent, not present from stale memory), and GET never returns
    /// another block's bytes.
    @Test(.timeLimit(.minutes(2)), arguments: [true, false])
    func swappedExtentsFollowTheDisk(sealed: Bool) async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let one = try await node.fill(volume: 1, count: 20, seal: sealed)
        let two = try await node.fill(volume: 2, count: 20, seal: sealed)
        let a = node.path(ExtentName(volume: 1, generation: 1)), b = node.path(ExtentName(volume: 2, generation: 1))
        #expect(node.presence(one, volume: 1).allSatisfy { $0 == .present })

        let fm = FileManager.default
        try fm.moveItem(atPath: a, toPath: a + ".swap")
        try fm.moveItem(atPath: b, toPath: a)
        try fm.moveItem(atPath: a + ".swap", toPath: b)

        let changes = node.store.checkExtentsOnDisk()
        #expect(Set(changes.map(\.name.volume)) == [1, 2])
        #expect(changes.allSatisfy { $0.outcome == .damaged }, "\(changes)")
        #expect(node.presence(one, volume: 1).allSatisfy { $0 == .absent })
        #expect(node.presence(two, volume: 2).allSatisfy { $0 == .absent })
        for block in one {
            let error = await nodeError { _ = try await node.store.get(volume: 1, key: block.key) }
            #expect(error?.code == "not_found")
        }
        // The damaged extents take no writes: the volume is repaired, not extended.
        let error = await nodeError { _ = try await node.store.put(volume: 1, key: one[0].key, data: one[0].data) }
        #expect(error?.status == 409)
        // A second check finds nothing new: no flapping.
        #expect(node.store.checkExtentsOnDisk().isEmpty)
    }

    /// Without waiting for the periodic check, a GET notices the swap itself:
    /// it answers from the disk as it is (not found), and presence follows.
    @Test(.timeLimit(.minutes(2)))
    func getNoticesASwapBeforeTheCheck() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let one = try await node.fill(volume: 1, count: 10, seal: true)
        let two = try await node.fill(volume: 2, count: 10, seal: true)
        let a = node.path(ExtentName(volume: 1, generation: 1)), b = node.path(ExtentName(volume: 2, generation: 1))
        let fm = FileManager.default
        try fm.moveItem(atPath: a, toPath: a + ".swap")
        try fm.moveItem(atPath: b, toPath: a)
        try fm.moveItem(atPath: a + ".swap", toPath: b)

        for (volume, blocks) in [(UInt64(1), one), (2, two)] {
            for block in blocks {
                do {
                    let data = try await node.store.get(volume: volume, key: block.key)
                    Issue.record("GET returned \(data.count) bytes from a swapped extent (right bytes: \(data == block.data))")
                } catch let error as NodeError {
                    #expect(error.code == "not_found", "\(error)")
                }
            }
        }
        #expect(node.presence(one, volume: 1).allSatisfy { $0 == .absent })
        #expect(node.presence(two, volume: 2).allSatisfy { $0 == .absent })
    }

    /// Another volume's valid extent copied over one in place (same inode, as
    /// `cp` does): the header no longer names the extent; nothing is served.
    @Test(.timeLimit(.minutes(2)))
    func anotherVolumesExtentCopiedInPlace() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let one = try await node.fill(volume: 1, count: 10, seal: true)
        _ = try await node.fill(volume: 2, count: 10, seal: true)
        let a = node.path(ExtentName(volume: 1, generation: 1)), b = node.path(ExtentName(volume: 2, generation: 1))
        try overwriteInPlace(a, with: try bytes(of: b))
        let changes = node.store.checkExtentsOnDisk()
        #expect(changes.map(\.name) == [ExtentName(volume: 1, generation: 1)])
        #expect(node.presence(one, volume: 1).allSatisfy { $0 == .absent })
    }

    /// A valid extent for the same name renamed over it (an operator's repair):
    /// reindexed, presence follows the new file's blocks.
    @Test(.timeLimit(.minutes(2)))
    func validReplacementIsReindexed() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let old = try await node.fill(volume: 1, count: 10, seal: true)
        let staged = node.directory + "/v1.g1.extent.new"
        let writer = try ExtentWriter.create(path: staged, header: ExtentHeader(volume: 1, generation: 1, createdAtMicros: 1))
        let fresh = (0..<5).map { Array("replacement \($0)".utf8) }
        for data in fresh { try writer.append(key: .of(data), data: data, writtenAtMicros: 1) }
        try writer.append(key: old[0].key, data: old[0].data, writtenAtMicros: 1)
        try writer.seal()
        try FileManager.default.removeItem(atPath: node.path(ExtentName(volume: 1, generation: 1)))
        try FileManager.default.moveItem(atPath: staged, toPath: node.path(ExtentName(volume: 1, generation: 1)))

        let changes = node.store.checkExtentsOnDisk()
        #expect(changes.map(\.outcome) == [.reindexed])
        #expect(node.store.check(fresh.map { (BlockKey.of($0), 1) }).allSatisfy { $0 == .present })
        #expect(node.presence(Array(old.dropFirst()), volume: 1).allSatisfy { $0 == .absent })
        // The block kept moved to another offset: GET reads it from where the new file has it.
        #expect(try await node.store.get(volume: 1, key: old[0].key) == old[0].data)
    }

    /// An open extent truncated under the node, mid-record: the blocks cut off
    /// are absent, the others present, and the volume takes writes again.
    @Test(.timeLimit(.minutes(2)))
    func truncatedOpenExtentLosesItsTail() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let blocks = try await node.fill(volume: 1, count: 30, seal: false)
        let path = node.path(ExtentName(volume: 1, generation: 1))
        let entries = try #require(try ExtentReader(path: path).scanEntries())
        let cut = entries[20].offset + 10  // inside block 20's header
        #expect(truncate(path, off_t(cut)) == 0)

        let changes = node.store.checkExtentsOnDisk()
        #expect(changes.count == 1)
        let answers = node.presence(blocks, volume: 1)
        #expect(answers.prefix(20).allSatisfy { $0 == .present })
        #expect(answers.dropFirst(20).allSatisfy { $0 == .absent })
        let lost = await nodeError { _ = try await node.store.get(volume: 1, key: blocks[25].key) }
        #expect(lost?.code == "not_found")
        #expect(try await node.store.get(volume: 1, key: blocks[3].key) == blocks[3].data)
        // Writes go to the file as it now is.
        _ = try await node.store.put(volume: 1, key: blocks[25].key, data: blocks[25].data)
        #expect(try await node.store.get(volume: 1, key: blocks[25].key) == blocks[25].data)
        try await node.store.seal(volume: 1)
        #expect(try ExtentReader(path: path).scan().isClean)
    }

    /// A sealed extent truncated under the node: its footer is gone, so it is
    /// damaged; the whole records left are served, the cut ones are absent, and
    /// a GET notices the truncation even before the periodic check.
    @Test(.timeLimit(.minutes(2)))
    func truncatedSealedExtentIsDamaged() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let blocks = try await node.fill(volume: 1, count: 12, seal: true)
        let path = node.path(ExtentName(volume: 1, generation: 1))
        let entries = try #require(try ExtentReader(path: path).footer())
        #expect(truncate(path, off_t(entries[8].offset + 100)) == 0)

        let lost = await nodeError { _ = try await node.store.get(volume: 1, key: blocks[10].key) }
        #expect(lost?.code == "not_found")
        let answers = node.presence(blocks, volume: 1)
        #expect(answers.prefix(8).allSatisfy { $0 == .present })
        #expect(answers.dropFirst(8).allSatisfy { $0 == .absent })
        let write = await nodeError { _ = try await node.store.put(volume: 1, key: blocks[10].key, data: blocks[10].data) }
        #expect(write?.status == 409, "a sealed extent never reopens for writes")
        #expect(node.store.checkExtentsOnDisk().isEmpty)
    }

    /// The periodic service (`--disk-check-ms`) does the same on its own: after
    /// an extent is deleted and another renamed over a third, presence follows
    /// within a bounded wait.
    @Test(.timeLimit(.minutes(2)))
    func diskWatchServiceFollowsTheDisk() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let one = try await node.fill(volume: 1, count: 5, seal: true)
        let two = try await node.fill(volume: 2, count: 5, seal: false)
        let watch = DiskWatch(store: node.store, interval: .milliseconds(20), logger: Logger(label: "test"))
        let task = Task { try await watch.run() }
        defer { task.cancel() }
        try FileManager.default.removeItem(atPath: node.path(ExtentName(volume: 2, generation: 1)))
        try FileManager.default.moveItem(
            atPath: node.path(ExtentName(volume: 1, generation: 1)), toPath: node.path(ExtentName(volume: 2, generation: 1)))
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline,
              node.presence(one, volume: 1).contains(.present) || node.presence(two, volume: 2).contains(.present) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(node.presence(one, volume: 1).allSatisfy { $0 == .absent })
        #expect(node.presence(two, volume: 2).allSatisfy { $0 == .absent })
        task.cancel()
        _ = await task.result
    }

    /// Appends, seals and reads racing with the periodic check never make the
    /// node think its own writes changed the file.
    @Test(.timeLimit(.minutes(2)))
    func ownWritesAreNotChanges() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        _ = try await node.store.createVolume(1, generation: 1)
        let store = node.store
        let checker = Task.detached {
            var found: [ExtentDiskChange] = []
            while !Task.isCancelled { found += store.checkExtentsOnDisk() }
            return found
        }
        var blocks: [(BlockKey, [UInt8])] = []
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<200 {
                let data = Array("own write \(i)".utf8)
                blocks.append((.of(data), data))
                group.addTask {
                    _ = try await store.put(volume: 1, key: .of(data), data: data)
                    #expect(try await store.get(volume: 1, key: .of(data)) == data)
                }
            }
            try await group.waitForAll()
        }
        try await store.seal(volume: 1)
        checker.cancel()
        let found = await checker.value
        #expect(found.isEmpty, "\(found)")
        #expect(store.check(blocks.map { ($0.0, 1) }).allSatisfy { $0 == .present })
    }
}

extension ExtentReader {
    /// Every record's footer entry, by scanning (an open extent has no footer).
    func scanEntries() throws -> [FooterEntry] {
        var entries: [FooterEntry] = []
        _ = try scan(onRecord: { entries.append(FooterEntry(key: $0.key, offset: $0.offset, length: $0.length, dataCRC: $0.dataCRC)) })
        return entries
    }
}

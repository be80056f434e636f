import Foundation
import Testing
import VigilCore
import VigilNode

@Suite("Trash, restore and install never replace a file and survive a crash")
struct DurableMoveTests {
    /// A move into trash when the trash name exists is refused (409), and
    /// both files are left exactly as they were; the extent is still served.
    @Test(.timeLimit(.minutes(2)))
    func trashNeverReplacesAFileInTrash() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let name = ExtentName(volume: 1, generation: 1)
        let blocks = try await node.fill(volume: 1, count: 5, seal: true)
        let stray = Array("an older copy an operator left in trash".utf8)
        FileManager.default.createFile(atPath: node.path(name, in: .trash), contents: Data(stray))
        let live = try bytes(of: node.path(name))

        let error = await nodeError { try await node.store.trash(name) }
        #expect(error?.status == 409)
        #expect(error?.code == "already_exists")
        #expect(error?.description.contains("trash/v1.g1.extent") == true)
        #expect(try bytes(of: node.path(name, in: .trash)) == stray)
        #expect(try bytes(of: node.path(name)) == live)
        #expect(node.presence(blocks, volume: 1).allSatisfy { $0 == .present })
        #expect(try await node.store.get(volume: 1, key: blocks[0].key) == blocks[0].data)
        #expect(node.store.checkExtentsOnDisk().isEmpty)
    }

    /// A restore when a file already has the name in `extents/` is refused
    /// (409); both files intact.
    @Test(.timeLimit(.minutes(2)))
    func restoreNeverReplacesAFileInExtents() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let name = ExtentName(volume: 1, generation: 1)
        let blocks = try await node.fill(volume: 1, count: 5, seal: true)
        try await node.store.trash(name)
        let trashed = try bytes(of: node.path(name, in: .trash))
        let stray = Array("not an extent".utf8)
        FileManager.default.createFile(atPath: node.path(name), contents: Data(stray))

        let error = await nodeError { try await node.store.restore(name) }
        #expect(error?.code == "already_exists")
        #expect(try bytes(of: node.path(name, in: .trash)) == trashed)
        #expect(try bytes(of: node.path(name)) == stray)
        #expect(node.presence(blocks, volume: 1).allSatisfy { $0 == .trashOnly })
    }

    /// A move a crash interrupted (both names link the same file) is completed
    /// by the retry, not refused.
    @Test(.timeLimit(.minutes(2)))
    func interruptedTrashMoveCompletes() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let name = ExtentName(volume: 1, generation: 1)
        let blocks = try await node.fill(volume: 1, count: 3, seal: true)
        #expect(link(node.path(name), node.path(name, in: .trash)) == 0)
        try await node.store.trash(name)
        #expect(!FileManager.default.fileExists(atPath: node.path(name)))
        #expect(node.presence(blocks, volume: 1).allSatisfy { $0 == .trashOnly })
        try await node.store.unlink(name)
        #expect(!FileManager.default.fileExists(atPath: node.path(name, in: .trash)))
        #expect(node.presence(blocks, volume: 1).allSatisfy { $0 == .absent })
        let again = await nodeError { try await node.store.unlink(name) }
        #expect(again?.code == "no_such_extent")
    }

    /// Writes racing with a move into trash never leave a block `present` for
    /// a volume whose extent is in trash: no append lands after the move.
    @Test(.timeLimit(.minutes(2)))
    func writesRacingTrashLeaveNothingPresent() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let store = node.store
        _ = try await store.createVolume(1, generation: 1)
        let keys = (0..<300).map { Array("racing \($0)".utf8) }
        await withTaskGroup(of: Void.self) { group in
            for data in keys {
                group.addTask { _ = try? await store.put(volume: 1, key: .of(data), data: data) }
            }
            group.addTask { try? await store.trash(ExtentName(volume: 1, generation: 1)) }
        }
        let answers = store.check(keys.map { (BlockKey.of($0), 1) })
        #expect(!answers.contains(.present))
        // What trash holds is what the file holds.
        let inFile = Set(try ExtentReader(path: node.path(ExtentName(volume: 1, generation: 1), in: .trash)).scanEntries().map(\.key))
        for (data, answer) in zip(keys, answers) {
            #expect((answer == .trashOnly) == inFile.contains(.of(data)))
        }
    }

    /// An install never replaces the extent being written: refused while it is
    /// in extents/ (every block still there, appends still land in it); once the
    /// old extent left by trash, the installed file is served and appended to.
    @Test(.timeLimit(.minutes(2)))
    func installRefusedOverALiveExtent() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let name = ExtentName(volume: 1, generation: 1)
        let old = try await node.fill(volume: 1, count: 4, seal: false)
        let staged = node.path(name) + ".incoming-test"
        let writer = try ExtentWriter.create(path: staged, header: ExtentHeader(volume: 1, generation: 2, createdAtMicros: 1))
        for block in old.prefix(2) { try writer.append(key: block.key, data: block.data, writtenAtMicros: 1) }
        try writer.sync()
        let refused = await nodeError { try await node.store.install(ExtentName(volume: 1, generation: 2), stagedPath: staged) }
        #expect(refused?.code == "extent_live" && refused?.status == 409)
        #expect(node.presence(old, volume: 1) == [.present, .present, .present, .present])
        #expect(!FileManager.default.fileExists(atPath: staged), "the refused copy is not left behind")

        try await node.store.trash(name)
        let again = node.path(name) + ".incoming-again"
        let copy = try ExtentWriter.create(path: again, header: ExtentHeader(volume: 1, generation: 2, createdAtMicros: 1))
        for block in old.prefix(2) { try copy.append(key: block.key, data: block.data, writtenAtMicros: 1) }
        try copy.sync()
        try await node.store.install(ExtentName(volume: 1, generation: 2), stagedPath: again)
        #expect(node.presence(old, volume: 1) == [.present, .present, .trashOnly, .trashOnly])
        let data = Array("after the install".utf8)
        _ = try await node.store.put(volume: 1, key: .of(data), data: data)
        #expect(try await node.store.get(volume: 1, key: .of(data)) == data)
        let keys = try ExtentReader(path: node.path(ExtentName(volume: 1, generation: 2))).scanEntries().map(\.key)
        #expect(keys == [old[0].key, old[1].key, .of(data)])
        #expect(node.store.checkExtentsOnDisk().isEmpty)
    }
}

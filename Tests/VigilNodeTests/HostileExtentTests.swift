import Foundation
import Logging
import Testing
import VigilCore
@testable import VigilNode

@Suite("Hostile extents and ids never crash the node")
struct HostileExtentTests {
    /// A sealed extent of `count` blocks for volume 1 at `path`; its bytes and footer.
    func sealedExtent(at path: String, count: Int = 6, volume: UInt64 = 1) throws -> (bytes: [UInt8], entries: [FooterEntry], blocks: [[UInt8]]) {
        let writer = try ExtentWriter.create(path: path, header: ExtentHeader(volume: volume, generation: 1, createdAtMicros: 1))
        let blocks = (0..<count).map { Array("hostile \($0) ".utf8) + [UInt8](repeating: UInt8($0), count: 300) }
        for data in blocks { try writer.append(key: .of(data), data: data, writtenAtMicros: 1) }
        try writer.seal()
        return (try bytes(of: path), writer.entries, blocks)
    }

    /// A CRC-valid footer listing records at offsets no file can reach (above
    /// Int64.max, near UInt64.max) or with lengths running past the footer:
    /// the reader rejects the footer, reads at those offsets are clear errors,
    /// and a node over the file serves the intact records it scans.
    @Test(.timeLimit(.minutes(2)))
    func footerWithHugeOffsetsIsAnError() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let path = node.path(ExtentName(volume: 1, generation: 1))
        var (raw, entries, blocks) = try sealedExtent(at: path)
        let footerStart = raw.count - 32 - entries.count * 48
        storeLE(UInt64.max - 10, into: &raw, at: footerStart + 32)                 // entry 0: offset near UInt64.max
        storeLE(UInt64(Int64.max) + 5, into: &raw, at: footerStart + 48 + 32)      // entry 1: offset above Int64.max
        storeLE(UInt32.max - 2, into: &raw, at: footerStart + 2 * 48 + 40)         // entry 2: length near UInt32.max
        resealFooter(&raw, entries: entries.count)
        try overwriteInPlace(path, with: raw)

        let reader = try ExtentReader(path: path)
        #expect(try reader.footer() == nil)
        for offset in [UInt64.max - 10, UInt64(Int64.max) + 5, UInt64(Int64.max), 0, 3, UInt64(raw.count) - 10] {
            #expect(throws: ExtentReadError.self) { _ = try reader.readBlock(key: entries[0].key, at: offset) }
        }
        let report = try reader.scan()
        #expect(report.problemKinds.contains(.footerMismatch))

        var restarted = node
        try restarted.restart()
        let answers = restarted.store.check(blocks.map { (BlockKey.of($0), 1) })
        #expect(answers.allSatisfy { $0 == .present }, "the records themselves are intact")
        for data in blocks { #expect(try await restarted.store.get(volume: 1, key: .of(data)) == data) }
    }

    /// Trailers whose count or offset is huge (the count × 48 overflowing, an
    /// offset past the file): no footer, a `footer_corrupt` problem, no crash.
    @Test(.timeLimit(.minutes(2)), arguments: [
        (UInt64.max, UInt64(1)), (UInt64(64), UInt64.max / 48 + 1), (UInt64(64), UInt64(1) << 60), (UInt64(Int64.max) + 1, UInt64(3)),
    ])
    func trailerWithHugeCountOrOffset(footerOffset: UInt64, count: UInt64) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString).extent").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var (raw, entries, _) = try sealedExtent(at: path)
        let trailer = raw.count - 32
        storeLE(footerOffset, into: &raw, at: trailer + 8)
        storeLE(count, into: &raw, at: trailer + 16)
        resealFooter(&raw, entries: entries.count)
        try overwriteInPlace(path, with: raw)
        let reader = try ExtentReader(path: path)
        #expect(try reader.footer() == nil)
        #expect(try reader.scan().problemKinds.contains(.footerCorrupt))
        let (extent, served) = try VolumeExtent.open(name: ExtentName(volume: 1, generation: 1), path: path)
        #expect(extent.isDamaged)
        // Where the broken trailer says the records end, the scan stops (a damaged
        // trailer at offset 64 hides every record): only whole records are served.
        #expect(served.allSatisfy { entries.contains($0) })
        for entry in served {
            #expect(throws: Never.self) {
                _ = try reader.readBlock(key: entry.key, at: entry.offset, expectedLength: entry.length, expectedCRC: entry.dataCRC)
            }
        }
    }

    /// A record header (CRC-valid) claiming a length near UInt32.max: the
    /// scan names `bad_length`, a read is a `corrupt_record` error.
    @Test(.timeLimit(.minutes(2)))
    func recordLengthNearUInt32Max() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let blocks = try await node.fill(volume: 1, count: 4, seal: false)
        let path = node.path(ExtentName(volume: 1, generation: 1))
        let entries = try ExtentReader(path: path).scanEntries()
        var raw = try bytes(of: path)
        storeLE(UInt32.max - 1, into: &raw, at: Int(entries[2].offset) + 40)
        resealRecordHeader(&raw, at: Int(entries[2].offset))
        // Write the bytes in place, as a disk fault would, keeping size and inode.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: 0)
        try handle.write(contentsOf: Data(raw))
        try handle.close()

        #expect(throws: ExtentReadError.self) { _ = try ExtentReader(path: path).readBlock(key: blocks[2].key, at: entries[2].offset) }
        #expect(try ExtentReader(path: path).scan().problemKinds.contains(.badLength))
        let error = await nodeError { _ = try await node.store.get(volume: 1, key: blocks[2].key) }
        #expect(error?.code == "corrupt_record" || error?.code == "not_found", "\(String(describing: error))")
        var restarted = node
        try restarted.restart()
        let answers = restarted.presence(blocks, volume: 1)
        #expect(answers == [.present, .present, .absent, .present], "a restart serves the intact records only")
    }

    /// Volume ids above Int64.max, in the store's calls and in extent names:
    /// create, write, read, seal, trash, restore and a restart all work.
    @Test(.timeLimit(.minutes(2)), arguments: [UInt64.max, UInt64(Int64.max) + 1])
    func volumeIdsAboveInt64Max(volume: UInt64) async throws {
        var node = try TempNode()
        defer { node.cleanUp() }
        let blocks = try await node.fill(volume: volume, count: 3, seal: true)
        let name = try #require(ExtentName("v\(volume).g1.extent"))
        #expect(name.volume == volume)
        #expect(ExtentName("v18446744073709551616.g1.extent") == nil, "a volume above UInt64.max is no name")
        try await node.store.trash(name)
        #expect(node.presence(blocks, volume: volume).allSatisfy { $0 == .trashOnly })
        try await node.store.restore(name)
        try node.restart()
        #expect(node.presence(blocks, volume: volume).allSatisfy { $0 == .present })
        #expect(try await node.store.get(volume: volume, key: blocks[1].key) == blocks[1].data)
        #expect(node.store.checkExtentsOnDisk().isEmpty)
        let listing = try await node.store.listExtents()
        #expect(listing.map(\.volume) == [volume])
    }

    /// One identity, one name: `v04.g1.extent` (a script's or an operator's
    /// rename) is not volume 4's extent. A restart does not serve it as
    /// volume 4, the listing leaves it out, and an install of the real
    /// `v4.g1.extent` (a repair) is not refused because of it.
    @Test(.timeLimit(.minutes(2)))
    func nonCanonicalNamesAreNotAliases() async throws {
        for alias in ["v04.g1.extent", "v4.g01.extent", "v+4.g1.extent", "v4.g1.extent ", "V4.g1.extent"] {
            #expect(ExtentName(alias) == nil, "\(alias) is not an extent name")
        }
        #expect(ExtentName("v0.g0.extent") == ExtentName(volume: 0, generation: 0))
        var node = try TempNode()
        defer { node.cleanUp() }
        let blocks = try await node.fill(volume: 4, count: 3, seal: true)
        let name = ExtentName(volume: 4, generation: 1)
        let saved = try bytes(of: node.path(name))
        try FileManager.default.moveItem(atPath: node.path(name), toPath: "\(node.directory)/extents/v04.g1.extent")
        try node.restart()
        #expect(node.presence(blocks, volume: 4).allSatisfy { $0 == .absent }, "the alias is not served as volume 4")
        #expect(try await node.store.listExtents().isEmpty)
        let staged = node.path(name) + ".incoming-test"
        try Data(saved).write(to: URL(fileURLWithPath: staged))
        try await node.store.install(name, stagedPath: staged)
        #expect(node.presence(blocks, volume: 4).allSatisfy { $0 == .present }, "the repair's install of v4.g1 went in")
    }

    /// Truncated and garbage files in `extents/` at start, and every
    /// truncation of a sealed extent under a running node: no crash, and only
    /// whole, verified records are ever present.
    @Test(.timeLimit(.minutes(3)))
    func truncatedFilesNeverCrash() async throws {
        let node = try TempNode()
        defer { node.cleanUp() }
        let path = node.path(ExtentName(volume: 1, generation: 1))
        let (raw, entries, blocks) = try sealedExtent(at: path)
        for (i, size) in [0, 10, 63, 64, 100].enumerated() {
            let other = node.path(ExtentName(volume: UInt64(10 + i), generation: 1))
            FileManager.default.createFile(atPath: other, contents: Data(raw.prefix(size)))
        }
        var restarted = node
        try restarted.restart()
        #expect(restarted.store.blockCount == entries.count)
        #expect(restarted.store.checkExtentsOnDisk().isEmpty)

        let store = restarted.store
        for cut in stride(from: raw.count - 1, through: 0, by: -97) {
            #expect(truncate(path, off_t(cut)) == 0)
            _ = store.checkExtentsOnDisk()
            let whole = entries.filter { $0.offset + 64 + UInt64($0.length) <= UInt64(cut) }.count
            let answers = store.check(blocks.map { (BlockKey.of($0), 1) })
            #expect(answers.prefix(whole).allSatisfy { $0 == .present }, "cut at \(cut)")
            #expect(answers.dropFirst(whole).allSatisfy { $0 == .absent }, "cut at \(cut)")
            for (i, data) in blocks.enumerated() {
                do {
                    #expect(try await store.get(volume: 1, key: .of(data)) == data)
                } catch let error as NodeError {
                    #expect(i >= whole && error.code == "not_found", "cut at \(cut): \(error)")
                }
            }
        }
    }
}

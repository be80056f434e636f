import Foundation
import PropertyBased
import Testing
import VigilCore

/// "No client byte is structure": blocks whose data is made of extent
/// structures (extent headers v1 and v2, record headers, whole records,
/// footers and trailers with valid CRCs, pointing where they would be believed)
/// never change how the extent they are written into parses.
@Suite struct ClientBytesAreNotStructureTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-hostile-blocks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @Test("blocks made of extent structures parse exactly as written, open and sealed", .timeLimit(.minutes(2)))
    func structureShapedBlocksParseAsWritten() async throws {
        let dir = directory
        await propertyCheck(count: 150, input: Gen.uint64().array(of: 1...6), Gen.bool()) { seeds, seal in
            let file = dir.appendingPathComponent(UUID().uuidString).path
            defer { try? FileManager.default.removeItem(atPath: file) }
            let writer = try ExtentWriter.create(path: file, header: ExtentHeader(volume: 9, generation: 1, createdAtMicros: 1))
            for seed in seeds {
                let data = HostileBlock.make(seed: seed, dataStart: writer.size + UInt64(ExtentFormat.recordHeaderSize))
                try writer.append(key: .of(data), data: data, writtenAtMicros: 1)
            }
            try writer.sync()
            if seal { try writer.seal() }
            try expectParsesAsWritten(file, entries: writer.entries, sealed: seal)
            if !seal {
                // Sealed after the fact, it still parses as written.
                try ExtentWriter.openForAppend(path: file).seal()
                try expectParsesAsWritten(file, entries: writer.entries, sealed: true)
            }
        }
    }

    /// The attack: one 64-byte block whose last 32 bytes are a valid version-1
    /// trailer (magic, version, geometry that fits the file, CRC).
    @Test(.timeLimit(.minutes(1)))
    func trailerShapedBlockInAnOpenExtent() throws {
        let file = path("attack")
        let writer = try ExtentWriter.create(path: file, header: ExtentHeader(volume: 3, generation: 1, createdAtMicros: 1))
        try writer.append(key: .of([1, 2, 3]), data: [1, 2, 3], writtenAtMicros: 1)
        let block = HostileBlock.trailerAttack(dataStart: writer.size + UInt64(ExtentFormat.recordHeaderSize))
        #expect(block.count == 64)
        try writer.append(key: .of(block), data: block, writtenAtMicros: 2)
        try writer.sync()
        try expectParsesAsWritten(file, entries: writer.entries, sealed: false)

        try writer.seal()
        try expectParsesAsWritten(file, entries: writer.entries, sealed: true)
    }

    /// An open version-1 extent (written before v2) is upgraded to v2 when the
    /// node opens it for appends: the attack block then changes nothing either.
    @Test(.timeLimit(.minutes(1)))
    func openVersion1ExtentIsUpgradedBeforeItTakesClientBytes() throws {
        let file = path("v1")
        let writer = try ExtentWriter.create(path: file, header: ExtentHeader(volume: 4, generation: 1, createdAtMicros: 1))
        try writer.append(key: .of([7]), data: [7], writtenAtMicros: 1)
        try writer.sync()
        let v1 = ExtentHeader(volume: 4, generation: 1, createdAtMicros: 1, formatVersion: ExtentFormat.version1).encode()
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: file))
        try handle.write(contentsOf: Data(v1))
        try handle.close()
        #expect(try ExtentReader(path: file).header()?.formatVersion == ExtentFormat.version1)

        let reopened = try ExtentWriter.openForAppend(path: file)
        #expect(reopened.header.formatVersion == ExtentFormat.version2)
        #expect(try ExtentReader(path: file).header()?.formatVersion == ExtentFormat.version2)
        let block = HostileBlock.trailerAttack(dataStart: reopened.size + UInt64(ExtentFormat.recordHeaderSize))
        try reopened.append(key: .of(block), data: block, writtenAtMicros: 2)
        try reopened.sync()
        try expectParsesAsWritten(file, entries: reopened.entries, sealed: false)
    }

    /// A crash between the seal's header write and its footer: the reader reports
    /// the missing footer (fail closed), and opening the extent seals it again.
    @Test(.timeLimit(.minutes(1)), arguments: [0, 1, 47, 48, 100])
    func sealCutShortIsReportedAndFinishedOnOpen(keptFooterBytes: Int) throws {
        let file = path("torn-\(keptFooterBytes)")
        let entries = try ExtentFixtures.writeExtent(at: file, sizes: [10, 3000, HostileBlock.trailerAttack(dataStart: 0).count])
        let recordsEnd = Int(entries.last!.offset) + 64 + Int(entries.last!.length)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        bytes.removeLast(bytes.count - min(bytes.count, recordsEnd + keptFooterBytes))
        try Data(bytes).write(to: URL(fileURLWithPath: file))

        let report = try ExtentReader(path: file).scan()
        #expect(!report.isClean && report.isSealed && report.hasUnfinishedSeal, "\(report.problems)")
        #expect(report.problemKinds == [.truncatedTail])
        #expect(try ExtentReader(path: file).footer() == nil)

        let writer = try ExtentWriter.openForAppend(path: file)
        #expect(writer.isSealed)
        try expectParsesAsWritten(file, entries: entries, sealed: true)
    }

    /// Bytes after a sealed extent's trailer: damage the scrubber reports, not a
    /// seal to finish (a node that "finished" it would truncate the evidence away).
    @Test(.timeLimit(.minutes(1)), arguments: [1, 48, 4096])
    func bytesAfterTheSealAreDamageNotAnUnfinishedSeal(extra: Int) throws {
        let file = path("after-seal-\(extra)")
        _ = try ExtentFixtures.writeExtent(at: file, sizes: [10, 3000])
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0xA5, count: extra))
        try handle.close()

        let report = try ExtentReader(path: file).scan()
        #expect(!report.isClean && report.isSealed && !report.hasUnfinishedSeal, "\(report.problems)")
        #expect(throws: ExtentWriteError.self) { try ExtentWriter.openForAppend(path: file) }
    }

    func expectParsesAsWritten(_ file: String, entries: [FooterEntry], sealed: Bool, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var seen: [FooterEntry] = []
        let report = try ExtentReader(path: file).scan(onRecord: { record in
            #expect(record.isIntact, sourceLocation: sourceLocation)
            seen.append(FooterEntry(key: record.key, offset: record.offset, length: record.length, dataCRC: record.dataCRC))
        })
        #expect(report.isClean, "\(report.problems)", sourceLocation: sourceLocation)
        #expect(report.isSealed == sealed, sourceLocation: sourceLocation)
        #expect(report.inFlightTailBytes == 0, sourceLocation: sourceLocation)
        #expect(report.formatVersion == ExtentFormat.version2, sourceLocation: sourceLocation)
        #expect(seen == entries, sourceLocation: sourceLocation)
        #expect(try ExtentReader(path: file).footer() == (sealed ? entries : nil), sourceLocation: sourceLocation)
        var expectation = ExtentScanOptions()
        expectation.expectSealed = sealed
        #expect(try ExtentReader(path: file).scan(options: expectation).isClean, sourceLocation: sourceLocation)
        let reopened = try ExtentWriter.openForAppend(path: file)
        #expect(reopened.entries == entries && reopened.isSealed == sealed, sourceLocation: sourceLocation)
    }
}

/// Block data built from extent structures, each with valid checksums and,
/// where it has offsets, offsets pointing at itself as it will lie in the file
/// (`dataStart` is where the block's data will start).
enum HostileBlock {
    static func make(seed: UInt64, dataStart: UInt64) -> [UInt8] {
        var rng = SplitMix(seed)
        var out: [UInt8] = []
        let parts = Int(rng.next() % 3) + 1
        for _ in 0..<parts {
            out += part(kind: Int(rng.next() % 9), rng: &rng, at: dataStart + UInt64(out.count))
        }
        return out
    }

    static func part(kind: Int, rng: inout SplitMix, at offset: UInt64) -> [UInt8] {
        switch kind {
        case 0:
            return ExtentHeader(volume: rng.next(), generation: 1, createdAtMicros: 1, formatVersion: ExtentFormat.version1).encode()
        case 1:
            // A v2 header, sealed, its seal pointing just past itself.
            let seal = ExtentSeal(footerOffset: offset + 64, recordCount: rng.next() % 4, footerCRC: UInt32(truncatingIfNeeded: rng.next()))
            return ExtentHeader(volume: rng.next(), generation: 1, createdAtMicros: 1, seal: seal).encode()
        case 2:
            let data = noise(&rng, count: Int(rng.next() % 80))
            return RecordHeader(key: .of(data), length: UInt32(data.count), dataCRC: CRC32C.checksum(data), writtenAtMicros: 1).encode()
        case 3:
            let data = noise(&rng, count: Int(rng.next() % 80))
            return RecordHeader(key: .of(data), length: UInt32(data.count), dataCRC: CRC32C.checksum(data), writtenAtMicros: 1).encode() + data
        case 4, 5:
            // Footer entries then a trailer (v1 or v2) that would be believed if the file ended here.
            let count = Int(rng.next() % 3)
            var entries: [UInt8] = []
            for _ in 0..<count {
                var entry = noise(&rng, count: 32)
                entry += le(rng.next() % 4096) + le(UInt32(rng.next() % 100)) + le(UInt32(truncatingIfNeeded: rng.next()))
                entries += entry
            }
            return entries + trailer(footerOffset: offset, count: UInt64(count), entries: entries, version: kind == 4 ? 1 : 2)
        case 6:
            return trailerAttack(dataStart: offset)
        case 7:
            // An extent header that names the same volume, open, then a record.
            let data = noise(&rng, count: 5)
            return ExtentHeader(volume: 9, generation: 1, createdAtMicros: 1).encode()
                + RecordHeader(key: .of(data), length: 5, dataCRC: CRC32C.checksum(data), writtenAtMicros: 1).encode() + data
        default:
            return noise(&rng, count: Int(rng.next() % 100))
        }
    }

    /// 64 bytes: 32 of noise, then a version-1 trailer saying "no entries, the
    /// footer starts here", with a valid CRC: a perfect empty footer if the file
    /// ended with this block.
    static func trailerAttack(dataStart: UInt64) -> [UInt8] {
        var rng = SplitMix(dataStart)
        return noise(&rng, count: 32) + trailer(footerOffset: dataStart + 32, count: 0, entries: [], version: 1)
    }

    static func trailer(footerOffset: UInt64, count: UInt64, entries: [UInt8], version: UInt16) -> [UInt8] {
        var bytes = le(UInt32(0x5446_4756)) + le(version) + le(UInt16(32)) + le(footerOffset) + le(count) + le(UInt32(0))
        let crc = bytes.withUnsafeBytes { CRC32C.extend(CRC32C.checksum(entries), $0) }
        bytes += le(crc)
        return bytes
    }

    static func noise(_ rng: inout SplitMix, count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
    }

    static func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}

struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

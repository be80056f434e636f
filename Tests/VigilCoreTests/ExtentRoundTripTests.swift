import Foundation
import PropertyBased
import Testing
import VigilCore

@Suite(.timeLimit(.minutes(2))) struct ExtentRoundTripTests {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-extent-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    @Test func sealedExtentReadsBackClean() throws {
        let entries = try ExtentFixtures.writeExtent(at: path("a"))
        var seen: [ScannedRecord] = []
        let report = try ExtentReader(path: path("a")).scan(options: { var o = ExtentScanOptions(); o.expectSealed = true; return o }(), onRecord: { seen.append($0) })
        #expect(report.isClean, "\(report.problems)")
        #expect(report.isSealed)
        #expect(report.intactRecords == ExtentFixtures.blockSizes.count)
        #expect(seen.map(\.key) == entries.map(\.key))
        #expect(try ExtentReader(path: path("a")).footer() == entries)
        for (i, entry) in entries.enumerated() {
            let data = try ExtentReader(path: path("a")).readBlock(key: entry.key, at: entry.offset)
            #expect(data == ExtentFixtures.bytes(count: ExtentFixtures.blockSizes[i], seed: UInt64(i)))
        }
    }

    @Test func openExtentWithPartialTailIsCleanAndAppendCutsTheTail() throws {
        try ExtentFixtures.writeExtent(at: path("open"), seal: false)
        // A crash mid-append: half a record header at the end.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path("open")))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(RecordHeader(key: .of([1]), length: 10, dataCRC: 0, writtenAtMicros: 0).encode().prefix(30)))
        try handle.close()

        let report = try ExtentReader(path: path("open")).scan()
        #expect(report.isClean)
        #expect(!report.isSealed)
        #expect(report.inFlightTailBytes == 30)
        // Known to be sealed, the same file is truncation.
        var sealed = ExtentScanOptions()
        sealed.expectSealed = true
        #expect(try ExtentReader(path: path("open")).scan(options: sealed).problemKinds == [.truncatedTail])

        let writer = try ExtentWriter.openForAppend(path: path("open"))
        #expect(writer.entries.count == ExtentFixtures.blockSizes.count)
        try writer.append(key: .of([5, 5]), data: [5, 5], writtenAtMicros: 1)
        try writer.seal()
        let after = try ExtentReader(path: path("open")).scan()
        #expect(after.isClean && after.isSealed && after.intactRecords == ExtentFixtures.blockSizes.count + 1)
    }

    @Test func sealedExtentRefusesAppends() throws {
        try ExtentFixtures.writeExtent(at: path("s"))
        let writer = try ExtentWriter.openForAppend(path: path("s"))
        #expect(writer.isSealed)
        #expect(throws: ExtentWriteError.self) { try writer.append(key: .of([1]), data: [1], writtenAtMicros: 0) }
    }

    @Test("any random set of blocks reads back clean, in order")
    func randomBlocksRoundTrip() async throws {
        let dir = directory
        await propertyCheck(count: 40, input: Gen.int(in: 0...9000).array(of: 0...12)) { sizes in
            let file = dir.appendingPathComponent(UUID().uuidString).path
            let entries = try ExtentFixtures.writeExtent(at: file, sizes: sizes)
            let report = try ExtentReader(path: file).scan()
            #expect(report.isClean)
            #expect(report.intactRecords == sizes.count)
            #expect(try ExtentReader(path: file).footer() == entries)
        }
    }

    @Test("every single-byte corruption anywhere in a sealed extent is reported")
    func everyByteIsCovered() async throws {
        let (clean, _) = try ExtentFixtures.sealedExtent()
        let file = path("flip")
        await propertyCheck(count: 300, input: Gen.int(in: 0...(clean.count - 1)), Gen.uint8(in: 1...255)) { position, mask in
            var bytes = clean
            bytes[position] ^= mask
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let report = try ExtentReader(path: file).scan()
            #expect(!report.isClean, "flip at \(position) went unnoticed")
        }
    }

    @Test("hostile bytes never crash the reader")
    func randomFilesNeverCrash() async throws {
        let (clean, _) = try ExtentFixtures.sealedExtent()
        let file = path("hostile")
        // Pure noise, and a valid extent with a run of noise written over it.
        await propertyCheck(count: 100, input: Gen.uint8().array(of: 0...600)) { noise in
            try Data(noise).write(to: URL(fileURLWithPath: file))
            _ = try ExtentReader(path: file).scan()
            var spliced = clean
            let at = Int(noise.first ?? 0) * 300 % clean.count
            spliced.replaceSubrange(at..<min(clean.count, at + noise.count), with: noise.prefix(clean.count - at))
            try Data(spliced).write(to: URL(fileURLWithPath: file))
            let report = try ExtentReader(path: file).scan()
            #expect(noise.isEmpty || spliced == clean || !report.isClean)
        }
    }

    @Test func insertedBytesAreFoundAndLaterRecordsStillChecked() throws {
        var (bytes, entries) = try ExtentFixtures.sealedExtent()
        bytes.insert(contentsOf: ExtentFixtures.bytes(count: 13, seed: 77), at: Int(entries[2].offset))
        try Data(bytes).write(to: URL(fileURLWithPath: path("ins")))
        var keys: [BlockKey] = []
        let report = try ExtentReader(path: path("ins")).scan(onRecord: { if $0.isIntact { keys.append($0.key) } })
        #expect(report.problemKinds.contains(.badMagic))
        // Resynchronised: the records after the inserted bytes were still read.
        #expect(keys.contains(entries[3].key))
    }
}

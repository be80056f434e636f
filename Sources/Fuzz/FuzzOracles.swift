import Foundation
import VigilCore

/// What each decoder of untrusted bytes must guarantee on any input. Each oracle
/// returns the guarantees an input broke (empty: none); libFuzzer traps on any,
/// `FuzzTests` reports them.
enum FuzzOracle {
    /// The extent reader either throws a typed error or reports records that each
    /// lie inside the file, in order and without overlap, whose header is exactly
    /// the bytes at their offset, and that are intact exactly when their data's
    /// CRC32C and SHA-256 hold; its counts agree with the records. Every footer
    /// entry it believes reads back as the bytes its record header vouches for,
    /// or is refused with a typed error.
    static func extent(_ input: [UInt8], at path: String) -> [String] {
        do {
            try Data(input).write(to: URL(fileURLWithPath: path))
            let reader = try ExtentReader(path: path)
            var records: [ScannedRecord] = []
            let report = try reader.scan(onRecord: { records.append($0) })
            return try scan(input, records: records, report: report) + footer(input, reader: reader)
        } catch is ExtentReadError, is FileIOError {
            return []
        } catch {
            return ["the extent reader threw an untyped error: \(type(of: error)) \(error)"]
        }
    }

    static func scan(_ input: [UInt8], records: [ScannedRecord], report: ExtentScanReport) -> [String] {
        var broken: [String] = []
        var end = ExtentFormat.extentHeaderSize
        for record in records {
            let start = Int(clamping: record.offset), dataStart = start &+ ExtentFormat.recordHeaderSize
            guard start >= end, dataStart <= input.count, Int(record.length) <= input.count - dataStart else {
                broken.append("record at \(record.offset) (\(record.length) bytes) overlaps the one before or lies outside the \(input.count)-byte file")
                continue
            }
            end = dataStart + Int(record.length)
            let header = RecordHeader(key: record.key, length: record.length, dataCRC: record.dataCRC, writtenAtMicros: record.writtenAtMicros)
            if !input[start..<dataStart].elementsEqual(header.encode()) {
                broken.append("record at \(record.offset): the header reported is not the bytes there")
            }
            let data = Array(input[dataStart..<end])
            let verifies = CRC32C.checksum(data) == record.dataCRC && BlockKey.of(data) == record.key
            if verifies != record.isIntact {
                broken.append("record at \(record.offset) called \(record.isIntact ? "intact" : "damaged"), but its data \(verifies ? "verifies" : "does not verify")")
            }
        }
        let intact = records.filter(\.isIntact)
        if report.intactRecords != intact.count || report.intactBytes != intact.reduce(0, { $0 + UInt64($1.length) }) {
            broken.append("report counts \(report.intactRecords) intact records (\(report.intactBytes) bytes); the records say \(intact.count)")
        }
        if report.fileSize != UInt64(input.count) { broken.append("report says \(report.fileSize) bytes, the file has \(input.count)") }
        if report.problems.count > report.problemCount { broken.append("more problems kept than counted") }
        if report.isClean, intact.count != records.count { broken.append("a clean report with a damaged record") }
        return broken
    }

    static func footer(_ input: [UInt8], reader: ExtentReader) throws -> [String] {
        guard let entries = try reader.footer() else { return [] }
        var broken: [String] = []
        for entry in entries {
            let start = Int(clamping: entry.offset), dataStart = start &+ ExtentFormat.recordHeaderSize
            guard start >= ExtentFormat.extentHeaderSize, dataStart <= input.count, Int(entry.length) <= input.count - dataStart else {
                broken.append("a footer entry at \(entry.offset) (\(entry.length) bytes) outside the file was believed")
                continue
            }
            let data: [UInt8]
            do { data = try reader.readBlock(key: entry.key, at: entry.offset) } catch is ExtentReadError { continue }
            let writtenAt = input[(start + 48)..<(start + 56)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let header = RecordHeader(key: entry.key, length: UInt32(data.count), dataCRC: CRC32C.checksum(data), writtenAtMicros: Int64(bitPattern: writtenAt))
            if data.count > input.count - dataStart || !input[dataStart..<(dataStart + data.count)].elementsEqual(data)
                || !input[start..<dataStart].elementsEqual(header.encode()) {
                broken.append("the block read at footer entry \(entry.offset) is not what the record header there vouches for")
            }
        }
        return broken
    }

    /// A presence batch the decoder accepts has whole entries of its kind, no
    /// more than the cap, and encodes back to exactly the bytes it came from.
    static func presence(
        _ input: [UInt8], decode: (UnsafeRawBufferPointer, Bool) -> PresenceBatch? = { PresenceBatch.decode($0, records: $1) }
    ) -> [String] {
        var broken: [String] = []
        for records in [false, true] {
            guard let batch = input.withUnsafeBytes({ decode($0, records) }) else { continue }
            let size = PresenceBatch.entrySize(records: records), n = batch.keys.count
            if input.count != n * size || batch.volumes.count != n || batch.lengths?.count != (records ? n : nil)
                || batch.dataCRCs?.count != (records ? n : nil) || n > PresenceBatch.maxEntries {
                broken.append("a \(input.count)-byte body decoded to \(n) entries of \(size) bytes (records: \(records)) with mismatched columns")
            }
            if batch.encode() != input { broken.append("a decoded batch (records: \(records)) re-encodes to other bytes") }
        }
        return broken
    }

    /// A sample the verifier accepts had its MAC checked: it re-signs to exactly
    /// its bytes with the key, another secret under the same key id refuses it,
    /// and a version-1 sample is accepted only in an upgrade window, unauthenticated.
    /// Whatever parses re-encodes to exactly its bytes.
    static func sample(_ input: [UInt8], keys: SampleKeyring = fuzzSampleKeys) -> [String] {
        let key = Array(input.prefix(32)), value = Array(input.dropFirst(32))
        var broken: [String] = []
        if let parsed = try? SampleMessage.parse(key: key, value: value), parsed.encodeValue() != value {
            broken.append("a parsed sample re-encodes to other bytes")
        }
        if let opened = try? SampleVerifier(keyring: keys, zone: nil).open(key: key, value: value) {
            if !opened.authenticated { broken.append("an unauthenticated sample was accepted outside an upgrade window") }
            if opened.message.encodeValue(signedWith: keys.current) != value { broken.append("an accepted sample does not re-sign to its bytes: its MAC was not checked") }
            let impostor = try! SampleKeyring([SampleKey(id: keys.current.id, secret: Array(repeating: 0xA5, count: 32))])
            if (try? SampleVerifier(keyring: impostor, zone: nil).open(key: key, value: value)) != nil {
                broken.append("a sample signed with one secret was accepted under another")
            }
            if (try? SampleVerifier(keyring: keys, zone: opened.message.zone + "-other").open(key: key, value: value)) != nil {
                broken.append("a sample of zone \(opened.message.zone) was accepted on another zone's topic")
            }
        }
        if let opened = try? SampleVerifier(keyring: keys, zone: nil, acceptUnauthenticated: true).open(key: key, value: value), !opened.authenticated,
           opened.message.encodeVersion1Value() != value {
            broken.append("an accepted version-1 sample re-encodes to other bytes")
        }
        return broken
    }
}

/// The key the sample seeds are signed with (`Tests/VigilCoreTests/FuzzSeeds/sample/`).
let fuzzSampleKeys = try! SampleKeyring.parse("7:" + String(repeating: "5a", count: 32))

/// The state of one sequential verification pass over an extent.
struct ExtentScanner {
    let file: ExtentFile
    let options: ExtentScanOptions
    private let onRead: (Int) -> Void
    var report = ExtentScanReport()

    var maxBlockSize = ExtentFormat.hardMaxBlockSize
    var recordsEnd: UInt64 = 0
    var footer: FooterCheck?
    /// The footer a seal promises is missing or wrong (already reported).
    var footerDamaged = false
    /// CRC32C of the footer entries of the intact records met so far, as a seal
    /// would write them: to recognise a seal a crash interrupted.
    var rebuiltFooterCRC: UInt32 = 0
    /// Where the last intact record ended, and whether damage was seen since:
    /// footer entries in a damaged gap belong to records already reported.
    private var lastIntactEnd = UInt64(ExtentFormat.extentHeaderSize)
    private var damageSinceIntact = false

    init(file: ExtentFile, options: ExtentScanOptions, onRead: @escaping (Int) -> Void) throws {
        self.file = file
        self.options = options
        self.onRead = onRead
    }

    mutating func run(onRecord: (ScannedRecord) throws -> Void) throws {
        let size = try file.size()
        report.fileSize = size
        guard try readExtentHeader(size: size) else { return }
        try locateFooter(size: size)

        let window = ReadWindow(
            file: file, limit: recordsEnd, chunk: options.readSize,
            maxRequest: ExtentFormat.recordHeaderSize + maxBlockSize, onRead: onRead)
        var offset = UInt64(ExtentFormat.extentHeaderSize)
        while offset < recordsEnd {
            offset = try step(window: window, at: offset, onRecord: onRecord)
        }
        judgeUnfinishedSeal(lastRecordEnd: lastIntactEnd)
        if options.expectSealed == true, !report.isSealed, !report.problemKinds.contains(.truncatedTail) {
            note(.truncatedTail, at: size, "sealed extent has no footer: it was cut off after its last whole record")
        }
        while let footer, let entry = try footer.peek() {
            if !(damageSinceIntact && entry.offset >= lastIntactEnd) {
                note(.footerMismatch, at: entry.offset, key: entry.key, "footer lists a record that is not in the extent")
            }
            footer.advance()
        }
    }

    /// Checks the record at `offset`; returns where the next one starts.
    private mutating func step(window: ReadWindow, at offset: UInt64, onRecord: (ScannedRecord) throws -> Void) throws -> UInt64 {
        let headerSize = UInt64(ExtentFormat.recordHeaderSize)
        guard recordsEnd - offset >= headerSize, let raw = try window.bytes(at: offset, count: Int(headerSize)) else {
            return endEarly(at: offset, what: "a partial record header")
        }
        let header: RecordHeader
        switch RecordHeader.decode(raw) {
        case .failure(.badMagic):
            return try resync(window: window, after: offset, .badMagic, "no record header where one should start")
        case .failure(.badChecksum):
            return try resync(window: window, after: offset, .headerCRC, "record header fails its CRC")
        case .success(let h): header = h
        }
        guard Int(header.length) <= maxBlockSize else {
            return try resync(window: window, after: offset, .badLength, "length \(header.length) above the extent's maximum \(maxBlockSize)")
        }
        let end = offset + headerSize + UInt64(header.length)
        guard end <= recordsEnd, let data = try window.bytes(at: offset + headerSize, count: Int(header.length)) else {
            return endEarly(at: offset, what: "a record of \(header.length) bytes", key: header.key)
        }
        var intact = true
        if CRC32C.checksum(data) != header.dataCRC {
            note(.dataCRC, at: offset, key: header.key, "data fails its CRC32C")
            intact = false
        } else if options.verifyKeys, BlockKey.of(data) != header.key {
            note(.keyMismatch, at: offset, key: header.key, "SHA-256 of the data is not the record's key")
            intact = false
        }
        let record = ScannedRecord(
            key: header.key, offset: offset, length: header.length, dataCRC: header.dataCRC,
            writtenAtMicros: header.writtenAtMicros, isIntact: intact)
        if intact {
            report.intactRecords += 1
            report.intactBytes += UInt64(header.length)
            try checkFooter(record)
            rebuiltFooterCRC = Self.extendFooterCRC(rebuiltFooterCRC, with: record)
            lastIntactEnd = end
            damageSinceIntact = false
        } else {
            damageSinceIntact = true
        }
        try onRecord(record)
        return end
    }

    /// The record area ends before a whole record: an open extent's write in
    /// flight, or — in an extent that should be sealed — truncation.
    private mutating func endEarly(at offset: UInt64, what: String, key: BlockKey? = nil) -> UInt64 {
        if report.isSealed, footerDamaged, report.problemKinds.contains(.truncatedTail) {
            // Already reported: the sealed extent ends before its footer.
        } else if report.isSealed {
            note(.lengthPastEnd, at: offset, key: key, "\(what) runs past the end of the record area")
        } else if options.expectSealed == true {
            note(.truncatedTail, at: offset, key: key, "sealed extent cut off inside \(what)")
        } else {
            report.inFlightTailBytes = recordsEnd - offset
        }
        damageSinceIntact = true
        return recordsEnd
    }

    /// Reports damage at `offset`, then finds the next offset where a record
    /// header with valid magic and CRC starts.
    private mutating func resync(window: ReadWindow, after offset: UInt64, _ kind: ExtentProblem.Kind, _ detail: String) throws -> UInt64 {
        note(kind, at: offset, detail)
        damageSinceIntact = true
        let headerSize = ExtentFormat.recordHeaderSize
        var candidate = offset + 1
        while candidate + UInt64(headerSize) <= recordsEnd {
            guard let raw = try window.bytes(at: candidate, count: headerSize) else { break }
            if raw.le(0, as: UInt32.self) == ExtentFormat.recordMagic, case .success = RecordHeader.decode(raw) {
                return candidate
            }
            candidate += 1
        }
        return recordsEnd
    }

    /// Compares an intact record with the footer entry for its offset.
    private mutating func checkFooter(_ record: ScannedRecord) throws {
        guard let footer else { return }
        while let entry = try footer.peek(), entry.offset < record.offset {
            if entry.offset < lastIntactEnd {
                note(.footerMismatch, at: entry.offset, key: entry.key, "footer lists a record inside another record")
            }
            footer.advance()
        }
        guard let entry = try footer.peek(), entry.offset == record.offset else {
            note(.footerMismatch, at: record.offset, key: record.key, "record is missing from the footer index")
            return
        }
        if entry.key != record.key || entry.length != record.length || entry.dataCRC != record.dataCRC {
            note(.footerMismatch, at: record.offset, key: record.key,
                 "footer says key \(entry.key) length \(entry.length), the record holds key \(record.key) length \(record.length)")
        }
        footer.advance()
    }

    /// Extends `crc` over the footer entry a seal writes for `record`.
    static func extendFooterCRC(_ crc: UInt32, with record: ScannedRecord) -> UInt32 {
        var raw = [UInt8](repeating: 0, count: ExtentFormat.footerEntrySize)
        return raw.withUnsafeMutableBytes { buffer in
            FooterEntry(key: record.key, offset: record.offset, length: record.length, dataCRC: record.dataCRC).encode(into: buffer, at: 0)
            return CRC32C.extend(crc, UnsafeRawBufferPointer(buffer))
        }
    }

    mutating func note(_ kind: ExtentProblem.Kind, at offset: UInt64, key: BlockKey? = nil, _ detail: String) {
        report.problemCount += 1
        if report.problems.count < options.maxProblemsKept {
            report.problems.append(ExtentProblem(kind: kind, offset: offset, key: key, detail: detail))
        }
    }
}

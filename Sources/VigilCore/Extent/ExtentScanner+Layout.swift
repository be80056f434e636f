extension ExtentScanner {
    /// Reads the extent header; false when the file is too short to hold one.
    mutating func readExtentHeader(size: UInt64) throws -> Bool {
        guard size >= UInt64(ExtentFormat.extentHeaderSize) else {
            note(.badExtentHeader, at: 0, "file is \(size) bytes, shorter than an extent header")
            return false
        }
        var raw = [UInt8](repeating: 0, count: ExtentFormat.extentHeaderSize)
        _ = try raw.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count, at: 0) }
        if let header = raw.withUnsafeBytes({ ExtentHeader.decode($0) }) {
            report.header = header
            report.formatVersion = header.formatVersion
            maxBlockSize = min(Int(header.maxBlockSize), ExtentFormat.hardMaxBlockSize)
        } else {
            // Keep going: the records carry their own keys and checksums.
            note(.badExtentHeader, at: 0, "extent header has the wrong magic, version or CRC")
        }
        return true
    }

    /// Finds the footer of a sealed extent and sets where the records end.
    /// Version 2: from the seal in the extent header alone (an open extent's
    /// records run to the end of the file, whatever its last bytes hold).
    /// Version 1: from the trailer at the end of the file.
    mutating func locateFooter(size: UInt64) throws {
        recordsEnd = size
        guard let location = try FooterLocation.locate(in: file, size: size) else { return }
        report.isSealed = true
        recordsEnd = min(location.entriesOffset, size)
        if location.isValid {
            footer = FooterCheck(file: file, location: location)
        } else {
            note(location.problemKind, at: location.entriesOffset, location.problem ?? "footer is damaged")
            footerDamaged = true
        }
    }

    /// After the records of a version-2 extent whose header is sealed but whose
    /// footer is missing or wrong: is this a seal a crash interrupted? It is
    /// when the records are intact, end exactly where the seal says, number what
    /// it says, and the footer rebuilt from them has the CRC the seal recorded.
    /// The node then writes the footer again (`ExtentWriter.openForAppend`).
    mutating func judgeUnfinishedSeal(lastRecordEnd: UInt64) {
        guard footerDamaged, let seal = report.header?.seal, report.problemCount == 1,
              let expectedSize = seal.fileSize, report.fileSize <= expectedSize,  // longer: damage (ExtentWriter.seal)
              lastRecordEnd == seal.footerOffset, UInt64(report.intactRecords) == seal.recordCount
        else { return }
        let trailer = seal.trailer.encode(entriesCRC: rebuiltFooterCRC)
        report.hasUnfinishedSeal = trailer.withUnsafeBytes { $0.le(28, as: UInt32.self) } == seal.footerCRC
    }
}

/// Walks a sealed extent's footer entries in order, alongside the records.
final class FooterCheck {
    private let window: ReadWindow
    private let location: FooterLocation
    private var index: UInt64 = 0
    private var current: FooterEntry?

    init(file: ExtentFile, location: FooterLocation) {
        self.location = location
        window = ReadWindow(
            file: file, limit: location.entriesOffset + location.count * UInt64(ExtentFormat.footerEntrySize),
            chunk: 1 << 20, maxRequest: ExtentFormat.footerEntrySize)
    }

    func peek() throws -> FooterEntry? {
        if let current { return current }
        guard index < location.count else { return nil }
        let at = location.entriesOffset + index * UInt64(ExtentFormat.footerEntrySize)
        guard let raw = try window.bytes(at: at, count: ExtentFormat.footerEntrySize) else { return nil }
        current = FooterEntry.decode(raw, at: 0)
        return current
    }

    func advance() {
        current = nil
        index += 1
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and verifies extents. Never trusts a length it has not bounded, never
/// stops at the first problem: after a damaged record it resynchronises on the
/// next valid record header, so one bad record does not hide the others.
public final class ExtentReader {
    public let path: String
    let file: ExtentFile

    public init(path: String) throws {
        self.path = path
        file = try ExtentFile(path: path, flags: O_RDONLY)
    }

    /// Scans the whole extent sequentially, calling `onRecord` for every record
    /// with a trustworthy header, and `onRead` after each physical read (bytes),
    /// which is where a caller applies its rate limit.
    public func scan(
        options: ExtentScanOptions = ExtentScanOptions(),
        onRead: @escaping (Int) -> Void = { _ in },
        onRecord: (ScannedRecord) throws -> Void = { _ in }
    ) throws -> ExtentScanReport {
        var scan = try ExtentScanner(file: file, options: options, onRead: onRead)
        try scan.run(onRecord: onRecord)
        return scan.report
    }

    /// What `fstat` says of the file this reader has open: a caller compares it
    /// with what it knew to be sure it reads the file it indexed.
    public func fileStatus() throws -> FileStatus { try file.status() }

    /// The extent header, or `nil` when the file is too short for one or its
    /// magic, version or CRC is wrong.
    public func header() throws -> ExtentHeader? {
        var raw = [UInt8](repeating: 0, count: ExtentFormat.extentHeaderSize)
        let got = try raw.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count, at: 0) }
        guard got == ExtentFormat.extentHeaderSize else { return nil }
        return raw.withUnsafeBytes { ExtentHeader.decode($0) }
    }

    /// The footer index of a sealed extent, or `nil` when it has no valid footer
    /// (or is open). Version 2: found from the seal in the extent header only.
    /// A footer whose checksum holds but which lists a record outside the record
    /// area (an offset inside the extent header or past the footer, a length
    /// running into the footer) is not valid: nothing it says is believed.
    public func footer() throws -> [FooterEntry]? {
        let size = try file.size()
        guard let footer = try FooterLocation.locate(in: file, size: size), footer.isValid else { return nil }
        let window = ReadWindow(file: file, limit: size, chunk: 1 << 20, maxRequest: ExtentFormat.footerEntrySize)
        var entries: [FooterEntry] = []
        // The count fits the file (the trailer's geometry was checked), but reserve no more than a sane amount up front.
        entries.reserveCapacity(Int(min(footer.count, 1 << 20)))
        let headerSize = UInt64(ExtentFormat.extentHeaderSize)
        for i in 0..<footer.count {
            guard let raw = try window.bytes(at: footer.entriesOffset + i * UInt64(ExtentFormat.footerEntrySize), count: ExtentFormat.footerEntrySize)
            else { return nil }
            let entry = FooterEntry.decode(raw, at: 0)
            guard entry.offset >= headerSize, entry.offset <= footer.entriesOffset,
                  footer.entriesOffset - entry.offset >= UInt64(ExtentFormat.recordHeaderSize) + UInt64(entry.length)
            else { return nil }
            entries.append(entry)
        }
        return entries
    }

    /// Reads one block's data from the record at `offset`, verifying the header
    /// CRC, that the header names `key`, and the data CRC; with `expectedLength`
    /// and `expectedCRC` (what an index says of the record), that the record
    /// agrees. Never returns bad bytes, and never traps on an offset or length
    /// from disk or the network: a record that cannot be there is an error.
    public func readBlock(
        key: BlockKey, at offset: UInt64, maxLength: Int = ExtentFormat.hardMaxBlockSize,
        expectedLength: UInt32? = nil, expectedCRC: UInt32? = nil
    ) throws -> [UInt8] {
        let headerSize = UInt64(ExtentFormat.recordHeaderSize)
        guard offset >= UInt64(ExtentFormat.extentHeaderSize) else {
            throw ExtentReadError(kind: .badMagic, offset: offset, detail: "no record starts inside the extent header")
        }
        let size = try file.size()
        guard offset <= size, size - offset >= headerSize else {
            throw ExtentReadError(kind: .truncatedTail, offset: offset, detail: "record header lies past the end of the \(size)-byte file")
        }
        var headerBytes = [UInt8](repeating: 0, count: ExtentFormat.recordHeaderSize)
        let got = try headerBytes.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count, at: offset) }
        guard got == ExtentFormat.recordHeaderSize else {
            throw ExtentReadError(kind: .truncatedTail, offset: offset, detail: "record header cut off at end of file")
        }
        let header: RecordHeader
        switch headerBytes.withUnsafeBytes({ RecordHeader.decode($0) }) {
        case .failure(.badMagic): throw ExtentReadError(kind: .badMagic, offset: offset, detail: "no record at this offset")
        case .failure(.badChecksum): throw ExtentReadError(kind: .headerCRC, offset: offset, detail: "record header fails its CRC")
        case .success(let h): header = h
        }
        guard header.key == key else {
            throw ExtentReadError(kind: .footerMismatch, offset: offset, detail: "record holds key \(header.key), not \(key)")
        }
        guard UInt64(header.length) <= UInt64(max(0, maxLength)) else {
            throw ExtentReadError(kind: .badLength, offset: offset, detail: "length \(header.length) above \(maxLength)")
        }
        if let expectedLength, expectedLength != header.length {
            throw ExtentReadError(kind: .footerMismatch, offset: offset, detail: "record holds \(header.length) bytes, the index says \(expectedLength)")
        }
        if let expectedCRC, expectedCRC != header.dataCRC {
            throw ExtentReadError(kind: .footerMismatch, offset: offset, detail: "record's data CRC is not the one the index holds")
        }
        guard size - offset - headerSize >= UInt64(header.length) else {
            throw ExtentReadError(kind: .lengthPastEnd, offset: offset, detail: "data of \(header.length) bytes runs past the end of the \(size)-byte file")
        }
        var data = [UInt8](repeating: 0, count: Int(header.length))
        let n = try data.withUnsafeMutableBytes {
            try file.read(into: $0.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1)!, count: $0.count, at: offset + headerSize)
        }
        guard n == data.count else {
            throw ExtentReadError(kind: .lengthPastEnd, offset: offset, detail: "data cut off at end of file")
        }
        guard CRC32C.checksum(data) == header.dataCRC else {
            throw ExtentReadError(kind: .dataCRC, offset: offset, detail: "data fails its CRC")
        }
        return data
    }
}

/// A read of one block that found the record damaged.
public struct ExtentReadError: Error, Sendable, CustomStringConvertible {
    public var kind: ExtentProblem.Kind
    public var offset: UInt64
    public var detail: String
    public var description: String { "\(kind) at \(offset): \(detail)" }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends records to one extent and seals it. Not thread-safe: the owner
/// serialises writes to a volume.
///
/// Durability: `append` writes with `pwrite`; a caller acknowledges a write only
/// after a `sync()` (fdatasync) called after its append returned has returned —
/// `dataSync` lets one sync cover many appends (group commit). A crash before
/// that can leave a partial record at the tail, which `openForAppend` cuts off:
/// it was never acknowledged.
public final class ExtentWriter {
    public let path: String
    /// The extent header as on disk: version 2, with the seal once sealed.
    public private(set) var header: ExtentHeader
    public private(set) var size: UInt64
    public private(set) var entries: [FooterEntry]
    public private(set) var isSealed: Bool
    private let file: ExtentFile

    private init(path: String, file: ExtentFile, header: ExtentHeader, size: UInt64, entries: [FooterEntry], sealed: Bool) {
        self.path = path
        self.file = file
        self.header = header
        self.size = size
        self.entries = entries
        self.isSealed = sealed
    }

    /// Creates a new extent; fails if the file exists.
    /// The extent is built under a staged name and linked into place, so no
    /// reader (a scrubber, a node indexing at start) ever sees an extent without
    /// its whole header, and an existing extent is never replaced; the directory
    /// is synced so the new name survives a crash.
    /// The extent is written in the current format (version 2), open.
    public static func create(path: String, header: ExtentHeader) throws -> ExtentWriter {
        let header = header.with(seal: nil)
        let staged = "\(path).incoming-create-\(UInt64.random(in: 0...UInt64.max))"
        let file = try ExtentFile(path: staged, flags: O_RDWR | O_CREAT | O_EXCL)
        do {
            try header.encode().withUnsafeBytes { try file.write($0, at: 0) }
            try file.syncData()
            guard link(staged, path) == 0 else { throw FileIOError(path: path, operation: "link", errno: errno) }
        } catch {
            unlink(staged)
            throw error
        }
        unlink(staged)
        try syncDirectory(containing: path)
        return ExtentWriter(path: path, file: file, header: header, size: UInt64(ExtentFormat.extentHeaderSize), entries: [], sealed: false)
    }

    /// Opens an existing extent to append more, rebuilding the footer entries
    /// from its records and cutting off an unacknowledged partial tail.
    /// Throws when the extent is damaged: a damaged extent is repaired, not extended.
    ///
    /// A version-2 extent whose seal a crash interrupted (header sealed, footer
    /// not all written) is sealed again: its footer is rebuilt from its records
    /// and must have the CRC the header's seal recorded. An open version-1
    /// extent is upgraded in place to version 2 (its header rewritten, open;
    /// the records are the same format), so no later append of client bytes can
    /// be taken for its trailer.
    public static func openForAppend(path: String) throws -> ExtentWriter {
        var entries: [FooterEntry] = []
        let report = try ExtentReader(path: path).scan(onRecord: { record in
            entries.append(FooterEntry(key: record.key, offset: record.offset, length: record.length, dataCRC: record.dataCRC))
        })
        guard report.isClean || report.hasUnfinishedSeal, let header = report.header else {
            throw ExtentWriteError.damaged(path: path, problems: report.problems)
        }
        let file = try ExtentFile(path: path, flags: O_RDWR)
        var size = report.fileSize
        if report.inFlightTailBytes > 0 {
            size -= report.inFlightTailBytes
            try file.truncate(to: size)
            try file.syncData()
        }
        if report.isSealed {
            size = entries.last.map { $0.offset + UInt64(ExtentFormat.recordHeaderSize) + UInt64($0.length) }
                ?? UInt64(ExtentFormat.extentHeaderSize)
        }
        if report.hasUnfinishedSeal {
            let writer = ExtentWriter(path: path, file: file, header: header.with(seal: nil), size: size, entries: entries, sealed: false)
            try writer.seal()
            return writer
        }
        if !report.isSealed, header.formatVersion != ExtentFormat.version2 {
            let upgraded = header.with(seal: nil)
            try upgraded.encode().withUnsafeBytes { try file.write($0, at: 0) }
            try file.syncData()
            return ExtentWriter(path: path, file: file, header: upgraded, size: size, entries: entries, sealed: false)
        }
        return ExtentWriter(path: path, file: file, header: header, size: size, entries: entries, sealed: report.isSealed)
    }

    /// Appends one block; returns its footer entry. The caller has verified that
    /// `key` is SHA-256 of `data`.
    @discardableResult
    public func append(key: BlockKey, data: UnsafeRawBufferPointer, writtenAtMicros: Int64) throws -> FooterEntry {
        guard !isSealed else { throw ExtentWriteError.sealed(path: path) }
        guard data.count <= Int(header.maxBlockSize) else {
            throw ExtentWriteError.tooLarge(length: data.count, limit: Int(header.maxBlockSize))
        }
        let crc = CRC32C.checksum(data)
        let record = RecordHeader(key: key, length: UInt32(data.count), dataCRC: crc, writtenAtMicros: writtenAtMicros)
        let offset = size
        try record.encode().withUnsafeBytes { try file.write($0, at: offset) }
        try file.write(data, at: offset + UInt64(ExtentFormat.recordHeaderSize))
        size = offset + UInt64(ExtentFormat.recordHeaderSize) + UInt64(data.count)
        let entry = FooterEntry(key: key, offset: offset, length: UInt32(data.count), dataCRC: crc)
        entries.append(entry)
        return entry
    }

    @discardableResult
    public func append(key: BlockKey, data: [UInt8], writtenAtMicros: Int64) throws -> FooterEntry {
        try data.withUnsafeBytes { try append(key: key, data: $0, writtenAtMicros: writtenAtMicros) }
    }

    /// The file's size as this writer left it: the records, and the footer and
    /// trailer once sealed.
    public var fileSize: UInt64 {
        isSealed ? size + UInt64(entries.count) * UInt64(ExtentFormat.footerEntrySize) + UInt64(ExtentFormat.trailerSize) : size
    }

    /// What `fstat` says of the file this writer appends to.
    public func fileStatus() throws -> FileStatus { try file.status() }

    /// Makes every appended record durable.
    public func sync() throws { try file.syncData() }

    /// Syncs this extent's file from any thread, while the owner goes on
    /// appending: it makes durable every append that returned before it was called.
    public var dataSync: ExtentDataSync { ExtentDataSync(file: file) }

    /// Seals the extent: the extent is then immutable.
    ///
    /// First the header's seal (where the records end, how many, the CRC the
    /// footer will have) is written in place and synced; from then on every
    /// reader knows from the header alone that the extent is sealed and where
    /// its records end. Then the footer and trailer, derived from the records,
    /// are written, anything past them cut off, and synced. A crash between the
    /// two leaves a sealed header whose footer is missing or wrong but whose
    /// records match the seal: readers report it, and `openForAppend` writes
    /// the footer again.
    public func seal() throws {
        guard !isSealed else { return }
        var footer = [UInt8](repeating: 0, count: entries.count * ExtentFormat.footerEntrySize)
        footer.withUnsafeMutableBytes { raw in
            for (i, entry) in entries.enumerated() { entry.encode(into: raw, at: i * ExtentFormat.footerEntrySize) }
        }
        let trailerFields = ExtentTrailer(footerOffset: size, recordCount: UInt64(entries.count), version: ExtentFormat.version2)
        let trailer = trailerFields.encode(entriesCRC: CRC32C.checksum(footer))
        let seal = ExtentSeal(
            footerOffset: size, recordCount: UInt64(entries.count), footerCRC: trailer.withUnsafeBytes { $0.le(28, as: UInt32.self) })
        let sealedHeader = header.with(seal: seal)
        // Nothing past the records before the header says sealed: a seal a
        // crash interrupts then never leaves the file longer than its seal
        // says, so bytes after the trailer are always damage, never a seal
        // to finish.
        try file.truncate(to: size)
        try file.syncData()
        try sealedHeader.encode().withUnsafeBytes { try file.write($0, at: 0) }
        try file.syncData()
        header = sealedHeader
        try footer.withUnsafeBytes { try file.write($0, at: size) }
        try trailer.withUnsafeBytes { try file.write($0, at: size + UInt64(footer.count)) }
        try file.truncate(to: size + UInt64(footer.count + trailer.count))
        try file.syncData()
        isSealed = true
    }
}

/// `fdatasync` of one extent's file, callable from any thread: `fdatasync`
/// and `pwrite` on one descriptor are safe together, and the descriptor stays
/// open while this handle lives.
public final class ExtentDataSync: @unchecked Sendable {
    private let file: ExtentFile

    init(file: ExtentFile) { self.file = file }

    public func sync() throws { try file.syncData() }
}

public enum ExtentWriteError: Error, Sendable, CustomStringConvertible {
    case sealed(path: String)
    case tooLarge(length: Int, limit: Int)
    case damaged(path: String, problems: [ExtentProblem])

    public var description: String {
        switch self {
        case .sealed(let path): "extent \(path) is sealed; write to an open volume"
        case .tooLarge(let length, let limit): "block of \(length) bytes exceeds the \(limit)-byte limit"
        case .damaged(let path, let problems):
            "extent \(path) is damaged and cannot be extended: \(problems.prefix(3).map(\.description).joined(separator: "; "))"
        }
    }
}

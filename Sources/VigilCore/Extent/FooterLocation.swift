/// Where a sealed extent's footer lies, and whether its geometry and checksum hold.
/// Version 1: as the trailer at the end of the file says. Version 2: as the
/// seal in the extent header says; the trailer must agree.
struct FooterLocation {
    var entriesOffset: UInt64
    var count: UInt64
    /// Geometry consistent with the file size and the CRC over entries + trailer holds.
    var isValid: Bool
    var problem: String?
    /// The problem's kind: `footer_corrupt`, or `truncated_tail` when a version-2
    /// extent ends before the footer its seal promises.
    var problemKind: ExtentProblem.Kind = .footerCorrupt

    /// The footer of the extent in `file`: from the header's seal (version 2),
    /// from the trailer (version 1, or a header too damaged to say it is version
    /// 2); `nil` when the extent is open.
    static func locate(in file: ExtentFile, size: UInt64) throws -> FooterLocation? {
        var raw = [UInt8](repeating: 0, count: ExtentFormat.extentHeaderSize)
        let got = try raw.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count, at: 0) }
        guard got == ExtentFormat.extentHeaderSize else { return nil }
        if let header = raw.withUnsafeBytes({ ExtentHeader.decode($0) }) {
            guard header.formatVersion == ExtentFormat.version2 else { return try find(in: file, size: size) }
            guard let seal = header.seal else { return nil }
            return try fromSeal(seal, in: file, size: size)
        }
        return try rawVersion(raw) == ExtentFormat.version1 ? find(in: file, size: size) : nil
    }

    /// The version field of a header that does not verify: a version-1 file is
    /// still read by the version-1 rule, anything else as open (never by its tail).
    static func rawVersion(_ raw: [UInt8]) -> UInt16 {
        raw.withUnsafeBytes { $0.le(4, as: UInt16.self) }
    }

    /// Checks the footer a version-2 seal promises: the file ends exactly at its
    /// trailer, the trailer repeats the seal, and the CRC over the entries and
    /// trailer is the one the seal recorded. Nothing is read from the tail to
    /// decide where the footer is.
    static func fromSeal(_ seal: ExtentSeal, in file: ExtentFile, size: UInt64) throws -> FooterLocation {
        let recordsEnd = min(seal.footerOffset, size)
        guard let expected = seal.fileSize else {
            return FooterLocation(entriesOffset: recordsEnd, count: 0, isValid: false,
                                  problem: "header's seal (\(seal.recordCount) entries at \(seal.footerOffset)) fits no file")
        }
        guard size >= expected else {
            return FooterLocation(entriesOffset: recordsEnd, count: 0, isValid: false,
                                  problem: "sealed extent is \(size) bytes, its seal says \(expected)", problemKind: .truncatedTail)
        }
        guard size == expected else {
            return FooterLocation(entriesOffset: recordsEnd, count: 0, isValid: false,
                                  problem: "sealed extent is \(size) bytes, \(size - expected) past the trailer its seal says ends it")
        }
        let trailerOffset = size - UInt64(ExtentFormat.trailerSize)
        var raw = [UInt8](repeating: 0, count: ExtentFormat.trailerSize)
        _ = try raw.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count, at: trailerOffset) }
        let crc = try entriesCRC(in: file, from: seal.footerOffset, to: trailerOffset, trailer: raw)
        let decoded = raw.withUnsafeBytes { ExtentTrailer.decodeFields($0, version: ExtentFormat.version2) }
        let valid = decoded?.0 == seal.trailer && decoded?.storedCRC == seal.footerCRC && crc == seal.footerCRC
        return FooterLocation(
            entriesOffset: seal.footerOffset, count: seal.recordCount, isValid: valid,
            problem: valid ? nil : "footer or trailer does not match the seal in the extent header")
    }

    /// Reads the version-1 trailer of a file of `size` bytes; `nil` when there is none.
    static func find(in file: ExtentFile, size: UInt64) throws -> FooterLocation? {
        let minimum = UInt64(ExtentFormat.extentHeaderSize + ExtentFormat.trailerSize)
        guard size >= minimum else { return nil }
        var raw = [UInt8](repeating: 0, count: ExtentFormat.trailerSize)
        let trailerOffset = size - UInt64(ExtentFormat.trailerSize)
        _ = try raw.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: $0.count, at: trailerOffset) }
        guard let (trailer, storedCRC) = raw.withUnsafeBytes({ ExtentTrailer.decodeFields($0) }) else { return nil }

        let entrySize = UInt64(ExtentFormat.footerEntrySize)
        let (entriesBytes, overflow) = trailer.recordCount.multipliedReportingOverflow(by: entrySize)
        guard !overflow, trailer.footerOffset >= UInt64(ExtentFormat.extentHeaderSize),
              trailer.footerOffset <= trailerOffset, trailerOffset - trailer.footerOffset == entriesBytes
        else {
            return FooterLocation(
                entriesOffset: min(max(trailer.footerOffset, UInt64(ExtentFormat.extentHeaderSize)), trailerOffset),
                count: 0, isValid: false,
                problem: "trailer says \(trailer.recordCount) entries at \(trailer.footerOffset), which does not fit a \(size)-byte file")
        }
        let crc = try entriesCRC(in: file, from: trailer.footerOffset, to: trailerOffset, trailer: raw)
        let valid = crc == storedCRC
        return FooterLocation(
            entriesOffset: trailer.footerOffset, count: trailer.recordCount, isValid: valid,
            problem: valid ? nil : "footer CRC does not match its entries")
    }

    /// CRC32C over the entries in `from..<to`, streamed, then over the trailer's
    /// first 28 bytes; nil when the file ends early.
    private static func entriesCRC(in file: ExtentFile, from start: UInt64, to end: UInt64, trailer: [UInt8]) throws -> UInt32? {
        var crc: UInt32 = 0
        let window = ReadWindow(file: file, limit: end, chunk: 1 << 20, maxRequest: 1 << 20)
        var at = start
        while at < end {
            let n = Int(min(UInt64(1 << 20), end - at))
            guard let bytes = try window.bytes(at: at, count: n) else { return nil }
            crc = CRC32C.extend(crc, bytes)
            at += UInt64(n)
        }
        return trailer.withUnsafeBytes { CRC32C.extend(crc, UnsafeRawBufferPointer(rebasing: $0[0..<28])) }
    }
}

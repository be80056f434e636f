/// Where a sealed extent's footer lies, as its trailer says, and whether the
/// trailer's geometry and checksum hold.
struct FooterLocation {
    var entriesOffset: UInt64
    var count: UInt64
    /// Geometry consistent with the file size and the CRC over entries + trailer holds.
    var isValid: Bool
    var problem: String?

    /// Reads the trailer of a file of `size` bytes; `nil` when there is none.
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
        // CRC over the entries, streamed, then over the trailer's first 28 bytes.
        var crc: UInt32 = 0
        let window = ReadWindow(file: file, limit: trailerOffset, chunk: 1 << 20, maxRequest: 1 << 20)
        var at = trailer.footerOffset
        while at < trailerOffset {
            let n = Int(min(UInt64(1 << 20), trailerOffset - at))
            guard let bytes = try window.bytes(at: at, count: n) else { break }
            crc = CRC32C.extend(crc, bytes)
            at += UInt64(n)
        }
        crc = raw.withUnsafeBytes { CRC32C.extend(crc, UnsafeRawBufferPointer(rebasing: $0[0..<28])) }
        let valid = crc == storedCRC && at == trailerOffset
        return FooterLocation(
            entriesOffset: trailer.footerOffset, count: trailer.recordCount, isValid: valid,
            problem: valid ? nil : "footer CRC does not match its entries")
    }
}

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
            maxBlockSize = min(Int(header.maxBlockSize), ExtentFormat.hardMaxBlockSize)
        } else {
            // Keep going: the records carry their own keys and checksums.
            note(.badExtentHeader, at: 0, "extent header has the wrong magic, version or CRC")
        }
        return true
    }

    /// Finds the footer of a sealed extent and sets where the records end.
    mutating func locateFooter(size: UInt64) throws {
        recordsEnd = size
        guard let location = try FooterLocation.find(in: file, size: size) else { return }
        report.isSealed = true
        recordsEnd = location.entriesOffset
        if location.isValid {
            footer = FooterCheck(file: file, location: location)
        } else {
            note(.footerCorrupt, at: location.entriesOffset, location.problem ?? "footer is damaged")
        }
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

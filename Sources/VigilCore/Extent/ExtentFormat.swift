/// The extent on-disk format, version 1 (`Schemas/extent-format.md` is the spec).
///
/// An extent is an extent header, then records back to back, then — once
/// sealed — a footer index and a trailer. Every integer is little-endian;
/// every fixed structure ends with the CRC32C of its preceding bytes.
public enum ExtentFormat {
    public static let version: UInt16 = 1
    /// "VGEX", "VGRC", "VGFT" read as little-endian 32-bit integers.
    public static let extentMagic: UInt32 = 0x5845_4756
    public static let recordMagic: UInt32 = 0x4352_4756
    public static let trailerMagic: UInt32 = 0x5446_4756

    public static let extentHeaderSize = 64
    public static let recordHeaderSize = 64
    public static let footerEntrySize = 48
    public static let trailerSize = 32

    /// Largest block a writer accepts by default (4 MiB).
    public static let defaultMaxBlockSize = 4 << 20
    /// No reader believes a length above this, whatever a header says.
    public static let hardMaxBlockSize = 64 << 20
}

/// The first 64 bytes of every extent: which volume and generation it holds.
public struct ExtentHeader: Sendable, Equatable {
    public var volume: UInt64
    public var generation: UInt32
    public var maxBlockSize: UInt32
    public var createdAtMicros: Int64

    public init(volume: UInt64, generation: UInt32, maxBlockSize: UInt32 = UInt32(ExtentFormat.defaultMaxBlockSize), createdAtMicros: Int64) {
        self.volume = volume
        self.generation = generation
        self.maxBlockSize = maxBlockSize
        self.createdAtMicros = createdAtMicros
    }

    public func encode() -> [UInt8] {
        encodeChecksummed(size: ExtentFormat.extentHeaderSize) { raw in
            raw.setLE(ExtentFormat.extentMagic, at: 0)
            raw.setLE(ExtentFormat.version, at: 4)
            raw.setLE(UInt16(ExtentFormat.extentHeaderSize), at: 6)
            raw.setLE(volume, at: 8)
            raw.setLE(generation, at: 16)
            raw.setLE(maxBlockSize, at: 20)
            raw.setLE(createdAtMicros, at: 24)
        }
    }

    /// Decodes 64 bytes; `nil` when the magic, version or checksum is wrong.
    public static func decode(_ raw: UnsafeRawBufferPointer) -> ExtentHeader? {
        guard raw.count >= ExtentFormat.extentHeaderSize else { return nil }
        let raw = UnsafeRawBufferPointer(rebasing: raw[0..<ExtentFormat.extentHeaderSize])
        guard raw.le(0, as: UInt32.self) == ExtentFormat.extentMagic,
              raw.le(4, as: UInt16.self) == ExtentFormat.version,
              checksumHolds(raw)
        else { return nil }
        return ExtentHeader(
            volume: raw.le(8), generation: raw.le(16), maxBlockSize: raw.le(20), createdAtMicros: raw.le(24))
    }
}

/// The 64-byte header in front of each block's data.
public struct RecordHeader: Sendable, Equatable {
    public var key: BlockKey
    public var length: UInt32
    public var dataCRC: UInt32
    public var writtenAtMicros: Int64

    public init(key: BlockKey, length: UInt32, dataCRC: UInt32, writtenAtMicros: Int64) {
        self.key = key
        self.length = length
        self.dataCRC = dataCRC
        self.writtenAtMicros = writtenAtMicros
    }

    public func encode() -> [UInt8] {
        encodeChecksummed(size: ExtentFormat.recordHeaderSize) { raw in
            raw.setLE(ExtentFormat.recordMagic, at: 0)
            raw.setLE(ExtentFormat.version, at: 4)
            key.write(to: raw.baseAddress! + 8)
            raw.setLE(length, at: 40)
            raw.setLE(dataCRC, at: 44)
            raw.setLE(writtenAtMicros, at: 48)
        }
    }

    enum DecodeFailure: Error { case badMagic, badChecksum }

    static func decode(_ raw: UnsafeRawBufferPointer) -> Result<RecordHeader, DecodeFailure> {
        guard raw.le(0, as: UInt32.self) == ExtentFormat.recordMagic else { return .failure(.badMagic) }
        guard checksumHolds(raw), raw.le(4, as: UInt16.self) == ExtentFormat.version else { return .failure(.badChecksum) }
        return .success(RecordHeader(
            key: BlockKey(bytes: UnsafeRawBufferPointer(rebasing: raw[8..<40]))!,
            length: raw.le(40), dataCRC: raw.le(44), writtenAtMicros: raw.le(48)))
    }
}

/// One entry of a sealed extent's footer index: where a block's record starts.
public struct FooterEntry: Sendable, Equatable {
    public var key: BlockKey
    public var offset: UInt64
    public var length: UInt32
    public var dataCRC: UInt32

    public init(key: BlockKey, offset: UInt64, length: UInt32, dataCRC: UInt32) {
        self.key = key
        self.offset = offset
        self.length = length
        self.dataCRC = dataCRC
    }

    func encode(into raw: UnsafeMutableRawBufferPointer, at base: Int) {
        key.write(to: raw.baseAddress! + base)
        raw.setLE(offset, at: base + 32)
        raw.setLE(length, at: base + 40)
        raw.setLE(dataCRC, at: base + 44)
    }

    static func decode(_ raw: UnsafeRawBufferPointer, at base: Int) -> FooterEntry {
        FooterEntry(
            key: BlockKey(bytes: UnsafeRawBufferPointer(rebasing: raw[base..<(base + 32)]))!,
            offset: raw.le(base + 32), length: raw.le(base + 40), dataCRC: raw.le(base + 44))
    }
}

/// The last 32 bytes of a sealed extent: where its footer starts and how many
/// entries it has. Its checksum covers the footer entries and the trailer.
struct ExtentTrailer: Equatable {
    var footerOffset: UInt64
    var recordCount: UInt64

    /// The trailer's fields, and the CRC the footer entries must extend to.
    static func decodeFields(_ raw: UnsafeRawBufferPointer) -> (ExtentTrailer, storedCRC: UInt32)? {
        guard raw.count == ExtentFormat.trailerSize,
              raw.le(0, as: UInt32.self) == ExtentFormat.trailerMagic,
              raw.le(4, as: UInt16.self) == ExtentFormat.version
        else { return nil }
        return (ExtentTrailer(footerOffset: raw.le(8), recordCount: raw.le(16)), raw.le(28))
    }

    /// Encodes the trailer; `entriesCRC` is the CRC32C of the footer entries.
    func encode(entriesCRC: UInt32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: ExtentFormat.trailerSize)
        bytes.withUnsafeMutableBytes { raw in
            raw.setLE(ExtentFormat.trailerMagic, at: 0)
            raw.setLE(ExtentFormat.version, at: 4)
            raw.setLE(UInt16(ExtentFormat.trailerSize), at: 6)
            raw.setLE(footerOffset, at: 8)
            raw.setLE(recordCount, at: 16)
            let crc = CRC32C.extend(entriesCRC, UnsafeRawBufferPointer(rebasing: raw[0..<28]))
            raw.setLE(crc, at: 28)
        }
        return bytes
    }
}

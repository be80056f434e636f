/// The extent on-disk format, versions 1 and 2 (`Schemas/extent-format.md` is the spec).
///
/// An extent is an extent header, then records back to back, then — once
/// sealed — a footer index and a trailer. Every integer is little-endian;
/// every fixed structure ends with the CRC32C of its preceding bytes.
///
/// Version 2 (what writers write) records the seal in the extent header, which
/// only the node writes: a reader knows from the header alone whether the
/// extent is sealed and where its records end, never from the file's tail
/// (client data while the volume is open). Version 1 extents stay readable
/// with the old rule (a trailer at the end of the file means sealed).
public enum ExtentFormat {
    /// The version of record headers and of version-1 extent headers and trailers.
    public static let version: UInt16 = 1
    /// Version-1 extents: sealed-ness inferred from the trailer (read only).
    public static let version1: UInt16 = 1
    /// Version-2 extents: the seal is in the extent header. Writers write this.
    public static let version2: UInt16 = 2
    public static let currentVersion: UInt16 = version2
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

/// The first 64 bytes of every extent: which volume and generation it holds,
/// and (version 2) whether and where it is sealed.
public struct ExtentHeader: Sendable, Equatable {
    public var volume: UInt64
    public var generation: UInt32
    public var maxBlockSize: UInt32
    public var createdAtMicros: Int64
    /// 1 or 2. Version 1 headers carry no seal: readers infer it from the trailer.
    public var formatVersion: UInt16
    /// Version 2: where the sealed extent's records end and what its footer holds;
    /// `nil` while the extent is open (and always in version 1).
    public var seal: ExtentSeal?

    public init(
        volume: UInt64, generation: UInt32, maxBlockSize: UInt32 = UInt32(ExtentFormat.defaultMaxBlockSize), createdAtMicros: Int64,
        formatVersion: UInt16 = ExtentFormat.currentVersion, seal: ExtentSeal? = nil
    ) {
        self.volume = volume
        self.generation = generation
        self.maxBlockSize = maxBlockSize
        self.createdAtMicros = createdAtMicros
        self.formatVersion = formatVersion
        self.seal = seal
    }

    /// The same extent's identity, with another seal (or none).
    public func with(seal: ExtentSeal?) -> ExtentHeader {
        var copy = self
        copy.formatVersion = ExtentFormat.version2
        copy.seal = seal
        return copy
    }

    public func encode() -> [UInt8] {
        encodeChecksummed(size: ExtentFormat.extentHeaderSize) { raw in
            raw.setLE(ExtentFormat.extentMagic, at: 0)
            raw.setLE(formatVersion, at: 4)
            raw.setLE(UInt16(ExtentFormat.extentHeaderSize), at: 6)
            raw.setLE(volume, at: 8)
            raw.setLE(generation, at: 16)
            raw.setLE(maxBlockSize, at: 20)
            raw.setLE(createdAtMicros, at: 24)
            if formatVersion == ExtentFormat.version2, let seal {
                raw.setLE(seal.footerOffset, at: 32)
                raw.setLE(seal.recordCount, at: 40)
                raw.setLE(seal.footerCRC, at: 48)
            }
        }
    }

    /// Decodes 64 bytes; `nil` when the magic, version or checksum is wrong, or
    /// a version-2 seal is impossible (records ending inside the header, or an
    /// open header with seal fields set).
    public static func decode(_ raw: UnsafeRawBufferPointer) -> ExtentHeader? {
        guard raw.count >= ExtentFormat.extentHeaderSize else { return nil }
        let raw = UnsafeRawBufferPointer(rebasing: raw[0..<ExtentFormat.extentHeaderSize])
        let version = raw.le(4, as: UInt16.self)
        guard raw.le(0, as: UInt32.self) == ExtentFormat.extentMagic,
              version == ExtentFormat.version1 || version == ExtentFormat.version2,
              checksumHolds(raw)
        else { return nil }
        var header = ExtentHeader(
            volume: raw.le(8), generation: raw.le(16), maxBlockSize: raw.le(20), createdAtMicros: raw.le(24), formatVersion: version)
        if version == ExtentFormat.version2 {
            let footerOffset: UInt64 = raw.le(32), count: UInt64 = raw.le(40), crc: UInt32 = raw.le(48)
            if footerOffset == 0 {
                guard count == 0, crc == 0 else { return nil }
            } else {
                guard footerOffset >= UInt64(ExtentFormat.extentHeaderSize) else { return nil }
                header.seal = ExtentSeal(footerOffset: footerOffset, recordCount: count, footerCRC: crc)
            }
        }
        return header
    }
}

/// A version-2 extent's seal, in its header: the node writes it when it seals
/// the extent, before the footer, so the header alone says the extent is sealed
/// and where its records end. The footer is derived from the records; the CRC
/// commits to exactly the footer and trailer the seal writes.
public struct ExtentSeal: Sendable, Equatable {
    /// Where the records end and the footer entries start.
    public var footerOffset: UInt64
    public var recordCount: UInt64
    /// The trailer's CRC: over the footer entries, then trailer bytes 0–27.
    public var footerCRC: UInt32

    public init(footerOffset: UInt64, recordCount: UInt64, footerCRC: UInt32) {
        self.footerOffset = footerOffset
        self.recordCount = recordCount
        self.footerCRC = footerCRC
    }

    /// The sealed file's size (`footerOffset + 48·N + 32`), or nil when no file can have it.
    public var fileSize: UInt64? {
        let (entries, o1) = recordCount.multipliedReportingOverflow(by: UInt64(ExtentFormat.footerEntrySize))
        let (withEntries, o2) = footerOffset.addingReportingOverflow(entries)
        let (total, o3) = withEntries.addingReportingOverflow(UInt64(ExtentFormat.trailerSize))
        guard !o1, !o2, !o3, total <= UInt64(Int64.max) else { return nil }
        return total
    }

    /// The trailer this seal writes after the entries.
    var trailer: ExtentTrailer {
        ExtentTrailer(footerOffset: footerOffset, recordCount: recordCount, version: ExtentFormat.version2)
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
    /// 1 in version-1 extents, 2 in version-2 extents.
    var version: UInt16 = ExtentFormat.version1

    /// The trailer's fields, and the CRC the footer entries must extend to.
    static func decodeFields(_ raw: UnsafeRawBufferPointer, version: UInt16 = ExtentFormat.version1) -> (ExtentTrailer, storedCRC: UInt32)? {
        guard raw.count == ExtentFormat.trailerSize,
              raw.le(0, as: UInt32.self) == ExtentFormat.trailerMagic,
              raw.le(4, as: UInt16.self) == version
        else { return nil }
        return (ExtentTrailer(footerOffset: raw.le(8), recordCount: raw.le(16), version: version), raw.le(28))
    }

    /// Encodes the trailer; `entriesCRC` is the CRC32C of the footer entries.
    func encode(entriesCRC: UInt32) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: ExtentFormat.trailerSize)
        bytes.withUnsafeMutableBytes { raw in
            raw.setLE(ExtentFormat.trailerMagic, at: 0)
            raw.setLE(version, at: 4)
            raw.setLE(UInt16(ExtentFormat.trailerSize), at: 6)
            raw.setLE(footerOffset, at: 8)
            raw.setLE(recordCount, at: 16)
            let crc = CRC32C.extend(entriesCRC, UnsafeRawBufferPointer(rebasing: raw[0..<28]))
            raw.setLE(crc, at: 28)
        }
        return bytes
    }
}

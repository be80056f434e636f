import Foundation
import VigilCore

/// Damages an extent file the ways real disks, firmware and operators do.
enum ExtentSurgery {
    static func load(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }
    /// Replaces the file at once (written aside, renamed), as a disk returning bad data would.
    static func save(_ bytes: [UInt8], _ path: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) }

    static func storeLE32(_ value: UInt32, _ bytes: inout [UInt8], at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    /// Record offsets and lengths: from the footer, or by scanning an open extent.
    static func records(_ path: String) throws -> [(key: BlockKey, offset: Int, length: Int)] {
        if let footer = try ExtentReader(path: path).footer() {
            return footer.map { ($0.key, Int($0.offset), Int($0.length)) }
        }
        var out: [(BlockKey, Int, Int)] = []
        _ = try ExtentReader(path: path).scan(onRecord: { out.append(($0.key, Int($0.offset), Int($0.length))) })
        return out
    }

    /// Flips one bit where it lies, in place: the file stays the same file (an
    /// open extent keeps taking appends).
    static func flipBit(_ path: String, at offset: Int, bit: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        guard let byte = try handle.read(upToCount: 1)?.first else { return }
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data([byte ^ UInt8(1 << bit)]))
    }

    static func flipDataBit(_ path: String, record: (key: BlockKey, offset: Int, length: Int), rng: inout SeededGenerator) throws {
        try flipBit(path, at: record.offset + 64 + Int.random(in: 0..<max(1, record.length), using: &rng), bit: Int.random(in: 0..<8, using: &rng))
    }

    static func flipHeaderBit(_ path: String, record: (key: BlockKey, offset: Int, length: Int), rng: inout SeededGenerator) throws {
        try flipBit(path, at: record.offset + 8 + Int.random(in: 0..<32, using: &rng), bit: Int.random(in: 0..<8, using: &rng))  // a key bit
    }

    /// A latent sector error: the bit flips, the file's times stay as they were
    /// (nothing wrote the file), so only a full sweep can find it.
    static func flipDataBitKeepingMtime(_ path: String, record: (key: BlockKey, offset: Int, length: Int), rng: inout SeededGenerator) throws {
        var before = stat()
        guard stat(path, &before) == 0 else { throw FileIOError(path: path, operation: "stat/utimensat", errno: errno) }
        try flipDataBit(path, record: record, rng: &rng)
        var times = [before.st_atim, before.st_mtim]
        guard utimensat(AT_FDCWD, path, &times, 0) == 0 else { throw FileIOError(path: path, operation: "stat/utimensat", errno: errno) }
    }

    /// Bytes after the end of the file, in place.
    static func append(_ bytes: [UInt8], _ path: String) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
    }

    /// Cuts the file at `offset`, in place: what lay after it is gone.
    static func cut(_ path: String, at offset: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: UInt64(offset))
    }

    static func truncate(_ path: String, record: (key: BlockKey, offset: Int, length: Int)) throws {
        let bytes = try load(path)
        try save(Array(bytes.prefix(record.offset + 64 + record.length / 2)), path)
    }

    static func insertBytes(_ path: String, record: (key: BlockKey, offset: Int, length: Int), rng: inout SeededGenerator) throws {
        var bytes = try load(path)
        bytes.insert(contentsOf: (0..<17).map { _ in UInt8.random(in: 1...255, using: &rng) }, at: record.offset)
        try save(bytes, path)
    }

    /// Another block's data under this record's key, every CRC recomputed.
    static func misdirect(_ path: String, record: (key: BlockKey, offset: Int, length: Int), rng: inout SeededGenerator) throws {
        var bytes = try load(path)
        let other = (0..<record.length).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes.replaceSubrange((record.offset + 64)..<(record.offset + 64 + record.length), with: other)
        storeLE32(CRC32C.checksum(other), &bytes, at: record.offset + 44)
        storeLE32(CRC32C.checksum(Array(bytes[record.offset..<(record.offset + 60)])), &bytes, at: record.offset + 60)
        try save(bytes, path)
    }

    /// The extent as it was earlier: its first records, before it was sealed.
    /// A version-2 extent then had an open header (the seal is written into the
    /// header when it is sealed), so the stale copy gets one, CRC and all.
    static func makeStale(_ path: String, keeping record: (key: BlockKey, offset: Int, length: Int)) throws {
        var bytes = Array(try load(path).prefix(record.offset))
        if let header = bytes.withUnsafeBytes({ ExtentHeader.decode($0) }), header.formatVersion == ExtentFormat.version2 {
            bytes.replaceSubrange(0..<ExtentFormat.extentHeaderSize, with: header.with(seal: nil).encode())
        }
        try save(bytes, path)
    }
}

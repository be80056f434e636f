import Foundation
import VigilCore

/// Builds extents for tests, and corrupts them the ways the reader must name.
enum ExtentFixtures {
    /// Deterministic pseudo-random bytes.
    static func bytes(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    static let blockSizes = [100, 4096, 1, 7_000, 513]

    /// Writes an extent of `blockSizes` blocks to `path`; returns its footer entries.
    @discardableResult
    static func writeExtent(at path: String, sizes: [Int] = blockSizes, seal: Bool = true, volume: UInt64 = 7) throws -> [FooterEntry] {
        let writer = try ExtentWriter.create(path: path, header: ExtentHeader(volume: volume, generation: 1, createdAtMicros: 1_700_000_000_000_000))
        for (i, size) in sizes.enumerated() {
            let data = bytes(count: size, seed: UInt64(i))
            try writer.append(key: BlockKey.of(data), data: data, writtenAtMicros: 1_700_000_000_000_000 + Int64(i))
        }
        if seal { try writer.seal() }
        try writer.sync()
        return writer.entries
    }

    /// A sealed extent's bytes and its footer entries.
    static func sealedExtent() throws -> (bytes: [UInt8], entries: [FooterEntry]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fixture-\(UUID().uuidString).extent").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let entries = try writeExtent(at: path)
        return (Array(try Data(contentsOf: URL(fileURLWithPath: path))), entries)
    }

    static func storeLE32(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }

    /// Recomputes the header CRC of the record at `offset`.
    static func resealHeader(_ bytes: inout [UInt8], at offset: Int) {
        let crc = CRC32C.checksum(Array(bytes[offset..<(offset + 60)]))
        storeLE32(crc, into: &bytes, at: offset + 60)
    }

    /// Recomputes the trailer CRC over the footer entries and trailer.
    static func resealFooter(_ bytes: inout [UInt8], entries: Int) {
        let trailer = bytes.count - 32
        let footer = trailer - entries * 48
        var crc = CRC32C.checksum(Array(bytes[footer..<trailer]))
        crc = Array(bytes[trailer..<(trailer + 28)]).withUnsafeBytes { CRC32C.extend(crc, $0) }
        storeLE32(crc, into: &bytes, at: trailer + 28)
    }

    /// One corrupted extent per problem kind: (file name, expected kind, bytes).
    /// A name containing `.sealed.` is read as an extent known to be sealed.
    static func corpus() throws -> [(name: String, kind: ExtentProblem.Kind, bytes: [UInt8])] {
        let (clean, entries) = try sealedExtent()
        let second = Int(entries[1].offset)
        let last = Int(entries.last!.offset)
        var out: [(String, ExtentProblem.Kind, [UInt8])] = []
        func make(_ name: String, _ kind: ExtentProblem.Kind, _ change: (inout [UInt8]) -> Void) {
            var bytes = clean
            change(&bytes)
            out.append((name, kind, bytes))
        }
        make("bad_extent_header.extent", .badExtentHeader) { $0[10] ^= 0x01 }
        make("bad_magic.extent", .badMagic) { b in for i in 0..<4 { b[second + i] = 0xEE } }
        make("header_crc.extent", .headerCRC) { $0[second + 12] ^= 0x10 }
        make("data_crc.extent", .dataCRC) { $0[second + 64 + 2000] ^= 0x04 }
        make("bad_length.extent", .badLength) { b in
            storeLE32(0x7FFF_FFFF, into: &b, at: second + 40)
            resealHeader(&b, at: second)
        }
        make("length_past_end.extent", .lengthPastEnd) { b in
            storeLE32(entries.last!.length + 1000, into: &b, at: last + 40)
            resealHeader(&b, at: last)
        }
        make("truncated_tail.sealed.extent", .truncatedTail) { b in b.removeLast(b.count - (last + 64 + 100)) }
        make("key_mismatch.extent", .keyMismatch) { b in
            // A misdirected write: another block's data under this key, every CRC valid.
            let other = bytes(count: Int(entries[1].length), seed: 999)
            b.replaceSubrange((second + 64)..<(second + 64 + other.count), with: other)
            storeLE32(CRC32C.checksum(other), into: &b, at: second + 44)
            resealHeader(&b, at: second)
        }
        make("footer_mismatch.extent", .footerMismatch) { b in
            let footer = b.count - 32 - entries.count * 48
            b[footer + 48 + 3] ^= 0xFF  // the second entry's key
            resealFooter(&b, entries: entries.count)
        }
        make("footer_corrupt.extent", .footerCorrupt) { b in
            let footer = b.count - 32 - entries.count * 48
            b[footer + 5] ^= 0x01
        }
        return out
    }
}

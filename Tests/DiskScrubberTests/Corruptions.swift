import Foundation
import VigilCore
import VigilDev
import VigilPostgres

/// One replica extent of a sealed volume, to damage in a test.
struct Target {
    var volume: Int64
    var node: ClusterFile.Node
    var path: String
    var entries: [FooterEntry]
}

enum Corruption: String, CaseIterable {
    case bitFlipInData
    case truncateSealedExtent
    case garbageRecordHeader
    case misdirectedWrite

    /// The finding kind the scrubber must report.
    var expectedKind: String {
        switch self {
        case .bitFlipInData: "data_crc"
        case .truncateSealedExtent: "truncated_tail"
        case .garbageRecordHeader: "bad_magic"
        case .misdirectedWrite: "key_mismatch"
        }
    }

    func apply(to target: Target) throws {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: target.path)))
        let entry = target.entries[target.entries.count / 2]
        let record = Int(entry.offset)
        switch self {
        case .bitFlipInData:
            bytes[record + 64 + Int(entry.length) / 2] ^= 0x08
        case .truncateSealedExtent:
            bytes.removeLast(bytes.count - (record + 64 + Int(entry.length) / 2))
        case .garbageRecordHeader:
            for i in 0..<64 { bytes[record + i] = UInt8.random(in: 0...255) }
            bytes[record] = 0  // never the magic by chance
        case .misdirectedWrite:
            // Another block's data under this key, with every CRC recomputed.
            let other = (0..<Int(entry.length)).map { _ in UInt8.random(in: 0...255) }
            bytes.replaceSubrange((record + 64)..<(record + 64 + other.count), with: other)
            Self.storeLE32(CRC32C.checksum(other), into: &bytes, at: record + 44)
            Self.storeLE32(CRC32C.checksum(Array(bytes[record..<(record + 60)])), into: &bytes, at: record + 60)
        }
        try Data(bytes).write(to: URL(fileURLWithPath: target.path), options: .atomic)
    }

    static func storeLE32(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
    }
}

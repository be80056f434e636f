import VigilCore

/// Where the cross-zone verifier is: phase 0 walks the journal (file → zones);
/// phase k walks zone k-1's index (zone → journal). After the last key seen.
struct CrossZoneCursor: Equatable {
    var phase = 0
    var lastKey: BlockKey?
    var lastFile: Int64 = 0

    init() {}

    init(_ bytes: [UInt8]) {
        guard bytes.count == 42 else { return }
        phase = Int(bytes[0])
        lastKey = bytes[1] == 1 ? BlockKey(bytes: bytes[2..<34]) : nil
        lastFile = bytes[34..<42].enumerated().reduce(0) { $0 | Int64($1.element) << (8 * Int64($1.offset)) }
    }

    var encoded: [UInt8] {
        [UInt8(phase), lastKey == nil ? 0 : 1] + (lastKey?.bytes ?? [UInt8](repeating: 0, count: 32))
            + (0..<8).map { UInt8(truncatingIfNeeded: lastFile >> (8 * $0)) }
    }
}

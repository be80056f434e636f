/// Little-endian field access for the extent format's fixed layouts.
extension UnsafeRawBufferPointer {
    @inline(__always)
    func le<T: FixedWidthInteger>(_ offset: Int, as: T.Type = T.self) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func setLE<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
    }
}

/// Builds a fixed-size structure: fields are stored, then the CRC32C of all
/// bytes before the last four is stored in the last four.
func encodeChecksummed(size: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: size)
    bytes.withUnsafeMutableBytes { raw in
        fill(raw)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(size - 4)]))
        raw.setLE(crc, at: size - 4)
    }
    return bytes
}

/// True when the last four bytes hold the CRC32C of the bytes before them.
func checksumHolds(_ raw: UnsafeRawBufferPointer) -> Bool {
    let size = raw.count
    return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<(size - 4)])) == raw.le(size - 4, as: UInt32.self)
}

import CCRC32C

/// CRC32C (Castagnoli), the checksum of extent record headers and data.
public enum CRC32C {
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        extend(0, bytes)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// Continues `crc` over more bytes, to checksum data that arrives in pieces.
    public static func extend(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return vigil_crc32c_extend(crc, base, bytes.count)
    }

    /// True when the CPU's SSE4.2 instruction computes it.
    public static var isHardwareAccelerated: Bool { vigil_crc32c_is_hardware() != 0 }
}

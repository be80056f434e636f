extension PostgresRows {
    /// A one-dimensional text[] (or varchar[], name[]) column; NULL is empty.
    /// Throws, never traps, on a value that is not such an array.
    public func stringArray(_ row: Int, _ column: Int) throws -> [String] {
        try arrayElements(row, column, "a text array").map { String(decoding: $0, as: UTF8.self) }
    }

    /// A one-dimensional int8[] (int4[], int2[]) column; NULL is empty.
    public func int64Array(_ row: Int, _ column: Int) throws -> [Int64] {
        try arrayElements(row, column, "an integer array").map { bytes in
            switch bytes.count {
            case 8: return bytes.withUnsafeBytes { Int64(bigEndian: $0.loadUnaligned(as: Int64.self)) }
            case 4: return Int64(bytes.withUnsafeBytes { Int32(bigEndian: $0.loadUnaligned(as: Int32.self)) })
            case 2: return Int64(bytes.withUnsafeBytes { Int16(bigEndian: $0.loadUnaligned(as: Int16.self)) })
            default: throw decodingError(row, column, "an integer array")
            }
        }
    }

    /// The elements of a binary one-dimensional array without NULL elements.
    private func arrayElements(_ row: Int, _ column: Int, _ expected: String) throws -> [[UInt8]] {
        if isNull(row, column) { return [] }
        let raw = raw(row, column)
        var offset = 0
        func int32() throws -> Int32 {
            guard offset + 4 <= raw.count else { throw decodingError(row, column, expected) }
            defer { offset += 4 }
            return Int32(bigEndian: raw.loadUnaligned(fromByteOffset: offset, as: Int32.self))
        }
        let dimensions = try int32()
        _ = try int32()  // has-null flag: a NULL element is refused below
        _ = try int32()  // element type
        guard dimensions == 0 || dimensions == 1 else { throw decodingError(row, column, expected) }
        guard dimensions == 1 else { return [] }
        let count = try int32()
        _ = try int32()  // lower bound
        guard count >= 0 else { throw decodingError(row, column, expected) }
        var out: [[UInt8]] = []
        for _ in 0..<count {
            let length = Int(try int32())
            guard length >= 0, offset + length <= raw.count else { throw decodingError(row, column, expected) }
            out.append(Array(raw[offset..<offset + length]))
            offset += length
        }
        return out
    }
}

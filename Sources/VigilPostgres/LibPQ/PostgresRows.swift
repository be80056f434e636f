import CLibPQ

/// The rows a statement returned, in binary format. Immutable once built, so
/// it may be read from any thread; the libpq result is freed on deinit.
public final class PostgresRows: @unchecked Sendable {
    let result: OpaquePointer

    init(result: OpaquePointer) { self.result = result }
    deinit { PQclear(result) }

    public var count: Int { Int(PQntuples(result)) }
    public var columnCount: Int { Int(PQnfields(result)) }
    /// Rows a data-changing statement affected.
    public var affectedRows: Int { Int(String(cString: PQcmdTuples(result))) ?? 0 }

    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(result, Int32(row), Int32(column)) == 1
    }

    /// The raw binary value; empty for NULL. Valid while this object lives.
    @inline(__always)
    func raw(_ row: Int, _ column: Int) -> UnsafeRawBufferPointer {
        let length = Int(PQgetlength(result, Int32(row), Int32(column)))
        return UnsafeRawBufferPointer(start: PQgetvalue(result, Int32(row), Int32(column)), count: length)
    }

    public func int64(_ row: Int, _ column: Int) throws -> Int64 {
        let raw = raw(row, column)
        switch raw.count {
        case 8: return Int64(bigEndian: raw.loadUnaligned(as: Int64.self))
        case 4: return Int64(Int32(bigEndian: raw.loadUnaligned(as: Int32.self)))
        case 2: return Int64(Int16(bigEndian: raw.loadUnaligned(as: Int16.self)))
        default: throw decodingError(row, column, "an integer")
        }
    }

    public func int(_ row: Int, _ column: Int) throws -> Int { Int(try int64(row, column)) }

    public func optionalInt64(_ row: Int, _ column: Int) throws -> Int64? {
        isNull(row, column) ? nil : try int64(row, column)
    }

    public func bool(_ row: Int, _ column: Int) throws -> Bool {
        let raw = raw(row, column)
        guard raw.count == 1 else { throw decodingError(row, column, "a bool") }
        return raw[0] != 0
    }

    public func string(_ row: Int, _ column: Int) -> String {
        String(decoding: raw(row, column), as: UTF8.self)
    }

    public func optionalString(_ row: Int, _ column: Int) -> String? {
        isNull(row, column) ? nil : string(row, column)
    }

    public func bytes(_ row: Int, _ column: Int) -> [UInt8] { Array(raw(row, column)) }

    /// timestamptz as microseconds since the Unix epoch.
    public func timestampMicros(_ row: Int, _ column: Int) throws -> Int64 {
        let raw = raw(row, column)
        guard raw.count == 8 else { throw decodingError(row, column, "a timestamp") }
        return Int64(bigEndian: raw.loadUnaligned(as: Int64.self)) + PostgresValue.postgresEpochOffsetMicros
    }

    public func optionalTimestampMicros(_ row: Int, _ column: Int) throws -> Int64? {
        isNull(row, column) ? nil : try timestampMicros(row, column)
    }

    public func float64(_ row: Int, _ column: Int) throws -> Double {
        let raw = raw(row, column)
        guard raw.count == 8 else { throw decodingError(row, column, "a float8") }
        return Double(bitPattern: UInt64(bigEndian: raw.loadUnaligned(as: UInt64.self)))
    }

    func decodingError(_ row: Int, _ column: Int, _ expected: String) -> PostgresError {
        let name = String(cString: PQfname(result, Int32(column)))
        return PostgresError(code: .decoding, message: "column \(name) of row \(row) is not \(expected) (\(raw(row, column).count) bytes)")
    }
}

/// A statement parameter, sent in Postgres's binary format.
public enum PostgresValue: Sendable, Equatable {
    case null
    case int16(Int16)
    case int32(Int32)
    case int64(Int64)
    case bool(Bool)
    case text(String)
    case bytea([UInt8])
    /// timestamptz as microseconds since the Unix epoch.
    case timestamp(micros: Int64)
    case float64(Double)
    /// text[]: compare with `= ANY($n)`; any string, commas and quotes included.
    case textArray([String])
    /// int8[].
    case int64Array([Int64])
    /// bytea[] (block keys).
    case byteaArray([[UInt8]])

    /// Seconds between the Unix epoch and Postgres's epoch (2000-01-01).
    static let postgresEpochOffsetMicros: Int64 = 946_684_800_000_000

    var oid: UInt32 {
        switch self {
        case .null: 0
        case .int16: 21
        case .int32: 23
        case .int64: 20
        case .bool: 16
        case .text: 25
        case .bytea: 17
        case .timestamp: 1184
        case .float64: 701
        case .textArray: 1009
        case .int64Array: 1016
        case .byteaArray: 1001
        }
    }

    /// The binary encoding, or `nil` for NULL.
    var binary: [UInt8]? {
        switch self {
        case .null: nil
        case .int16(let v): withUnsafeBytes(of: v.bigEndian, Array.init)
        case .int32(let v): withUnsafeBytes(of: v.bigEndian, Array.init)
        case .int64(let v): withUnsafeBytes(of: v.bigEndian, Array.init)
        case .bool(let v): [v ? 1 : 0]
        case .text(let s): Array(s.utf8)
        case .bytea(let b): b
        case .timestamp(let micros): withUnsafeBytes(of: (micros - Self.postgresEpochOffsetMicros).bigEndian, Array.init)
        case .float64(let d): withUnsafeBytes(of: d.bitPattern.bigEndian, Array.init)
        case .textArray(let strings): Self.array(element: 25, strings.map { Array($0.utf8) })
        case .int64Array(let numbers): Self.array(element: 20, numbers.map { withUnsafeBytes(of: $0.bigEndian, Array.init) })
        case .byteaArray(let blobs): Self.array(element: 17, blobs)
        }
    }
}

extension PostgresValue {
    /// A one-dimensional array in the binary wire format: dimensions, null flag,
    /// element type, then (length, lower bound 1) and each element length-prefixed.
    /// An empty array has no dimension.
    static func array(element oid: UInt32, _ elements: [[UInt8]]) -> [UInt8] {
        func be<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
        var out = be(Int32(elements.isEmpty ? 0 : 1)) + be(Int32(0)) + be(oid)
        guard !elements.isEmpty else { return out }
        out += be(Int32(elements.count)) + be(Int32(1))
        for element in elements { out += be(Int32(element.count)) + element }
        return out
    }
}

extension PostgresValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int64(value) }
}

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
        }
    }
}

extension PostgresValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .int64(value) }
}

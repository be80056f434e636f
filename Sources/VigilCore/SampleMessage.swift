/// The Kafka sample message (`Schemas/kafka-sample.md`): the frontend publishes
/// one for about 1% of committed writes; the storage watcher reads them back.
///
/// Kafka key: the 32 raw key bytes. Value, version 1, little-endian:
/// `u8 version | u8 zone length Z | u16 reserved | u32 length | u64 volume |
/// i64 written-at (µs since the Unix epoch) | Z bytes zone (UTF-8)`.
public struct SampleMessage: Sendable, Equatable {
    public static let version: UInt8 = 1
    public static let fixedSize = 24
    public static let maxZoneLength = 64

    public var key: BlockKey
    public var zone: String
    public var volume: UInt64
    public var length: UInt32
    public var writtenAtMicros: Int64

    public init(key: BlockKey, zone: String, volume: UInt64, length: UInt32, writtenAtMicros: Int64) {
        self.key = key
        self.zone = zone
        self.volume = volume
        self.length = length
        self.writtenAtMicros = writtenAtMicros
    }

    public func encodeValue() -> [UInt8] {
        let zoneBytes = Array(zone.utf8.prefix(Self.maxZoneLength))
        var out = [UInt8](repeating: 0, count: Self.fixedSize + zoneBytes.count)
        out.withUnsafeMutableBytes { raw in
            raw[0] = Self.version
            raw[1] = UInt8(zoneBytes.count)
            raw.setLE(length, at: 4)
            raw.setLE(volume, at: 8)
            raw.setLE(writtenAtMicros, at: 16)
            for (i, b) in zoneBytes.enumerated() { raw[Self.fixedSize + i] = b }
        }
        return out
    }

    /// Decodes a message; throws a precise error for any malformed key or value.
    public static func decode(key: [UInt8], value: [UInt8]) throws -> SampleMessage {
        guard let blockKey = BlockKey(bytes: key) else {
            throw SampleDecodeError(detail: "key is \(key.count) bytes, expected 32")
        }
        guard value.count >= fixedSize else {
            throw SampleDecodeError(detail: "value is \(value.count) bytes, shorter than the \(fixedSize)-byte header")
        }
        return try value.withUnsafeBytes { raw in
            guard raw[0] == version else { throw SampleDecodeError(detail: "unknown version \(raw[0])") }
            guard raw[2] == 0, raw[3] == 0 else { throw SampleDecodeError(detail: "reserved bytes are not zero") }
            let zoneLength = Int(raw[1])
            guard zoneLength <= maxZoneLength, raw.count == fixedSize + zoneLength else {
                throw SampleDecodeError(detail: "value is \(raw.count) bytes, zone length \(zoneLength) does not fit")
            }
            guard let zone = String(validating: raw[fixedSize...], as: UTF8.self) else {
                throw SampleDecodeError(detail: "zone is not UTF-8")
            }
            return SampleMessage(key: blockKey, zone: zone, volume: raw.le(8), length: raw.le(4), writtenAtMicros: raw.le(16))
        }
    }
}

public struct SampleDecodeError: Error, Sendable, CustomStringConvertible {
    public var detail: String
    public var description: String { "malformed sample message: \(detail)" }
}

/// The Kafka sample message (`Schemas/kafka-sample.md`): the frontend publishes
/// one for about 1% of committed writes; the storage watcher reads them back.
///
/// Kafka key: the 32 raw key bytes. Value, little-endian, version 2 (what the
/// frontend writes): `u8 version | u8 zone length Z | u16 reserved | u32 length |
/// u64 volume | i64 written-at (µs since the Unix epoch) | u32 key id |
/// Z bytes zone (UTF-8) | 32 bytes HMAC-SHA256(secret of key id, Kafka key ‖ value before the MAC)`.
/// Version 1 is the same without key id and MAC: unauthenticated, refused by
/// the watcher unless it is told to accept it (`SampleVerifier`).
public struct SampleMessage: Sendable, Equatable {
    /// The version the frontend writes.
    public static let version: UInt8 = 2
    public static let unauthenticatedVersion: UInt8 = 1
    /// Header bytes before the zone, per version.
    public static let version1HeaderSize = 24
    public static let version2HeaderSize = 28
    public static let macSize = 32
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

    /// The version-2 value, authenticated with `signingKey`.
    public func encodeValue(signedWith signingKey: SampleKey) -> [UInt8] {
        var out = layout(version: Self.version, keyID: signingKey.id)
        out += signingKey.mac(key: key.bytes, signed: out)
        return out
    }

    /// The old, unauthenticated version-1 value: for tests and for what an
    /// old frontend still writes during an upgrade; never written by this one.
    public func encodeVersion1Value() -> [UInt8] { layout(version: Self.unauthenticatedVersion, keyID: nil) }

    /// Header and zone, without the MAC.
    func layout(version: UInt8, keyID: UInt32?) -> [UInt8] {
        let zoneBytes = Array(zone.utf8.prefix(Self.maxZoneLength))
        let header = keyID == nil ? Self.version1HeaderSize : Self.version2HeaderSize
        var out = [UInt8](repeating: 0, count: header + zoneBytes.count)
        out.withUnsafeMutableBytes { raw in
            raw[0] = version
            raw[1] = UInt8(zoneBytes.count)
            raw.setLE(length, at: 4)
            raw.setLE(volume, at: 8)
            raw.setLE(writtenAtMicros, at: 16)
            if let keyID { raw.setLE(keyID, at: 24) }
            for (i, b) in zoneBytes.enumerated() { raw[header + i] = b }
        }
        return out
    }

    /// Parses a message of either version without checking its MAC (see
    /// `SampleVerifier.open` for that); throws a precise error for any
    /// malformed key or value.
    public static func parse(key: [UInt8], value: [UInt8]) throws(SampleDecodeError) -> SampleEnvelope {
        guard let blockKey = BlockKey(bytes: key) else {
            throw SampleDecodeError(detail: "key is \(key.count) bytes, expected 32")
        }
        guard let version = value.first else { throw SampleDecodeError(detail: "value is empty") }
        let header: Int, trailer: Int
        switch version {
        case unauthenticatedVersion: (header, trailer) = (version1HeaderSize, 0)
        case Self.version: (header, trailer) = (version2HeaderSize, macSize)
        default: throw SampleDecodeError(detail: "unknown version \(version)")
        }
        guard value.count >= header + trailer else {
            throw SampleDecodeError(detail: "value is \(value.count) bytes, shorter than the \(header + trailer) bytes of version \(version)")
        }
        let zoneLength = Int(value[1])
        guard value[2] == 0, value[3] == 0 else { throw SampleDecodeError(detail: "reserved bytes are not zero") }
        guard zoneLength <= maxZoneLength, value.count == header + zoneLength + trailer else {
            throw SampleDecodeError(detail: "value is \(value.count) bytes, zone length \(zoneLength) does not fit")
        }
        guard let zone = String(validating: value[header..<(header + zoneLength)], as: UTF8.self) else {
            throw SampleDecodeError(detail: "zone is not UTF-8")
        }
        return value.withUnsafeBytes { raw in
            SampleEnvelope(
                message: SampleMessage(key: blockKey, zone: zone, volume: raw.le(8), length: raw.le(4), writtenAtMicros: raw.le(16)),
                version: version, keyID: version == Self.version ? raw.le(24) : nil, mac: Array(value.suffix(trailer)))
        }
    }
}

/// A sample as read off the wire, its MAC not yet checked.
public struct SampleEnvelope: Sendable, Equatable {
    public var message: SampleMessage
    public var version: UInt8
    /// The id of the key that signed it; nil in version 1.
    public var keyID: UInt32?
    /// The MAC as received; empty in version 1.
    public var mac: [UInt8]

    /// The value again, byte for byte as parsed (the MAC as received).
    public func encodeValue() -> [UInt8] { message.layout(version: version, keyID: keyID) + mac }
}

public struct SampleDecodeError: Error, Sendable, CustomStringConvertible {
    public var detail: String
    public init(detail: String) { self.detail = detail }
    public var description: String { "malformed sample message: \(detail)" }
}

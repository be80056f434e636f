/// One thing wrong in an extent, precise enough to act on: what, where, which block.
public struct ExtentProblem: Sendable, Equatable, CustomStringConvertible {
    /// The kinds of problem, as the stable strings findings and reports carry.
    public struct Kind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The 64-byte extent header is short, has the wrong magic, or fails its CRC.
        public static let badExtentHeader = Kind(rawValue: "bad_extent_header")
        /// Where a record header should start there is no record magic.
        public static let badMagic = Kind(rawValue: "bad_magic")
        /// A record header fails its CRC32C.
        public static let headerCRC = Kind(rawValue: "header_crc")
        /// A record's data fails the CRC32C its header carries.
        public static let dataCRC = Kind(rawValue: "data_crc")
        /// A record header claims a length above any block size this extent allows.
        public static let badLength = Kind(rawValue: "bad_length")
        /// A record runs past the end of a sealed extent's record area.
        public static let lengthPastEnd = Kind(rawValue: "length_past_end")
        /// A sealed extent ends early: its last record or its footer is cut off.
        public static let truncatedTail = Kind(rawValue: "truncated_tail")
        /// Every CRC holds, but SHA-256 of the data is not the record's key.
        public static let keyMismatch = Kind(rawValue: "key_mismatch")
        /// The footer index and the records disagree.
        public static let footerMismatch = Kind(rawValue: "footer_mismatch")
        /// The footer's trailer is malformed or its CRC fails.
        public static let footerCorrupt = Kind(rawValue: "footer_corrupt")
        /// The file could not be read (I/O error, permission).
        public static let unreadable = Kind(rawValue: "unreadable")
    }

    /// Every kind a reader names.
    public static let allKinds: [Kind] = [
        .badExtentHeader, .badMagic, .headerCRC, .dataCRC, .badLength, .lengthPastEnd, .truncatedTail, .keyMismatch,
        .footerMismatch, .footerCorrupt, .unreadable,
    ]

    public var kind: Kind
    /// Byte offset in the extent file where the problem starts.
    public var offset: UInt64
    /// The block concerned, when a header that could be trusted named one.
    public var key: BlockKey?
    public var detail: String

    public init(kind: Kind, offset: UInt64, key: BlockKey? = nil, detail: String) {
        self.kind = kind
        self.offset = offset
        self.key = key
        self.detail = detail
    }

    public var description: String {
        "\(kind) at \(offset)\(key.map { " key \($0)" } ?? ""): \(detail)"
    }
}

/// How to scan an extent.
public struct ExtentScanOptions: Sendable {
    /// `true` when the caller knows the extent is sealed (a missing footer is then
    /// truncation), `false` when it knows it is open, `nil` to trust the file.
    public var expectSealed: Bool? = nil
    /// Check SHA-256(data) == key for every record (the expensive, decisive check).
    public var verifyKeys = true
    /// Bytes per sequential read.
    public var readSize = 8 << 20
    /// Problems kept in the report; more are counted, not kept.
    public var maxProblemsKept = 1000

    public init() {}
}

/// One record met by a scan.
public struct ScannedRecord: Sendable, Equatable {
    public var key: BlockKey
    /// Offset of the record header in the file.
    public var offset: UInt64
    public var length: UInt32
    public var dataCRC: UInt32
    public var writtenAtMicros: Int64
    /// False when this record's data failed its CRC or SHA-256 check.
    public var isIntact: Bool
}

/// What a scan of one extent found.
public struct ExtentScanReport: Sendable {
    public var header: ExtentHeader?
    public var fileSize: UInt64 = 0
    /// The extent header's format version (1 or 2); 0 when the header does not verify.
    public var formatVersion: UInt16 = 0
    /// True when the extent is sealed: version 2, its header says so; version 1,
    /// it ends with a trailer.
    public var isSealed = false
    /// Version 2: the header is sealed, the footer is missing or wrong, and
    /// everything else says a crash interrupted the seal after the header was
    /// written (the records are intact and match the seal). The footer problem
    /// is reported; the node writes the footer again when it opens the extent.
    public var hasUnfinishedSeal = false
    /// Records whose data verified.
    public var intactRecords = 0
    public var intactBytes: UInt64 = 0
    /// Bytes at the end of an open extent that do not yet form a whole record: a
    /// write in flight, or one a crash interrupted before it was acknowledged.
    public var inFlightTailBytes: UInt64 = 0
    public var problems: [ExtentProblem] = []
    public var problemCount = 0

    public var isClean: Bool { problemCount == 0 }
    public var problemKinds: Set<ExtentProblem.Kind> { Set(problems.map(\.kind)) }
}

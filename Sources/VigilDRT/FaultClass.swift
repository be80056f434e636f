import VigilVerifier
/// The kinds of damage DRT injects, each one a verifier must catch.
public enum FaultClass: String, CaseIterable, Sendable, Codable {
    case bitFlipData = "bit_flip_data"
    case bitFlipHeader = "bit_flip_header"
    case truncatedExtent = "truncated_extent"
    case insertedBytes = "inserted_bytes"
    case misdirectedWrite = "misdirected_write"
    case staleExtent = "stale_extent"
    case extentDeleted = "extent_deleted"
    case extentMovedToTrash = "extent_moved_to_trash"
    case indexWrongVolume = "index_wrong_volume"
    case indexRowDeleted = "index_row_deleted"
    case blockMissingFromZone = "block_missing_from_zone"
    case sampleCorruptedEverywhere = "sample_corrupted_all_replicas"
    case trashWithLiveBlocks = "trash_with_live_blocks"

    /// Faults that damage one replica's extent file.
    var damagesExtent: Bool {
        switch self {
        case .bitFlipData, .bitFlipHeader, .truncatedExtent, .insertedBytes, .misdirectedWrite, .staleExtent, .extentDeleted, .extentMovedToTrash,
             .trashWithLiveBlocks: true
        default: false
        }
    }
}

/// How DRT recognises that a fault was caught: a finding of one of `kinds`
/// by `verifier` whose subject is LIKE `subject`, seen after the injection.
struct Detection: Sendable {
    var verifier: String
    var kinds: [FindingKind]
    var subject: String
    /// The findings live in the File Journal's database (cross-zone verifier).
    var inJournal = false
}

/// One injected fault and what became of it.
public struct FaultReport: Sendable, Codable {
    public var `class`: String
    public var target: String
    public var detected: Bool
    public var verifier: String?
    public var finding: String?
    public var seconds_to_detect: Double?
    public var repaired: Bool
}

/// The DRT report (`--json`).
public struct DRTReport: Sendable, Codable {
    public var injected: Int
    public var detected: Int
    public var seed: UInt64
    public var faults: [FaultReport]
}

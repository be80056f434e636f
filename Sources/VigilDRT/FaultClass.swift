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
    /// Another volume's valid extent bytes under this extent's name.
    case identity = "identity"
    /// The index row's length or checksum no longer matches the record.
    case metadataDrift = "metadata_drift"
    /// The last acknowledged records of an open extent are gone from one replica.
    case ackedWriteLost = "acked_write_lost"
    /// A bit flipped with the file's mtime put back: only a full sweep sees it.
    case latentSectorError = "latent_sector_error"
    /// Bytes appended after a sealed extent's footer.
    case damageAfterSeal = "damage_after_seal"
    /// A node killed and its data directory deleted (once a run, after every seed).
    case nodeLost = "node_lost"
    /// A node restarted with tokens the verifiers do not hold.
    case wrongCredential = "wrong_credential"
    /// Garbage and forged records on the sample topic.
    case hostileSample = "hostile_sample"
    /// A bit flipped in an extent GC put in trash, before it is inspected and unlinked.
    case trashExtentDamaged = "trash_extent_damaged"

    /// Faults that damage one replica's extent file of a sealed volume.
    var damagesSealedExtent: Bool {
        switch self {
        case .bitFlipData, .bitFlipHeader, .truncatedExtent, .insertedBytes, .misdirectedWrite, .staleExtent, .extentDeleted, .extentMovedToTrash,
             .trashWithLiveBlocks, .indexWrongVolume, .identity, .metadataDrift, .latentSectorError, .damageAfterSeal, .trashExtentDamaged: true
        default: false
        }
    }

    /// The cluster brings the damaged copy back on its own (DRT asserts it);
    /// the others are undone by DRT once detected.
    public var repairable: Bool {
        switch self {
        case .bitFlipData, .bitFlipHeader, .truncatedExtent, .insertedBytes, .misdirectedWrite, .staleExtent, .extentDeleted, .extentMovedToTrash,
             .identity, .latentSectorError, .damageAfterSeal, .ackedWriteLost, .nodeLost: true
        default: false
        }
    }

    /// Classes that may also hit an open extent (every other fourth one does).
    var canHitOpenExtent: Bool { self == .bitFlipData || self == .bitFlipHeader }
}

/// How DRT recognises that a fault was caught: a finding of one of `kinds` by
/// `verifier` whose subject matches `subject` (SQL LIKE; `%` only where a part
/// of the subject cannot be known, such as the watcher's stage), seen after
/// the injection; and which other findings the fault accounts for.
struct Detection: Sendable {
    var zone: String
    var verifier: String
    var kinds: [FindingKind]
    var subject: String
    /// The findings live in the File Journal's database (cross-zone verifier).
    var inJournal = false
    /// Subjects (LIKE patterns) of the other findings this fault explains:
    /// the same damage seen by another verifier, or its consequences.
    var explains: [String] = []
    /// Patterns (LIKE) on a finding's `detail` that this fault explains
    /// whatever its subject, e.g. a trash extent held because its blocks now
    /// live in a volume the lost node took below R.
    var explainsDetails: [String] = []
    /// Another verifier's finding that names the same damage as exactly, e.g.
    /// the metadata scanner's `missing` for a block of the damaged replica when
    /// the node stopped serving it (and the repair followed) before the
    /// rate-limited scrubber reached the file.
    var alternative: (verifier: String, kinds: [FindingKind], subject: String)?

    var matchers: [(verifier: String, kinds: [FindingKind], subject: String)] {
        [(verifier, kinds, subject)] + (alternative.map { [$0] } ?? [])
    }
}

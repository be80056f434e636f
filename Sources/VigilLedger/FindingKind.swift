import VigilCore

/// A kind of finding: one condition a verifier can observe. Every kind any
/// verifier reports is in `FindingKind.catalog`, which the gate, `vigil drt`,
/// `vigil findings kinds`, `Schemas/findings.md` and the tests share.
public struct FindingKind: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ problem: ExtentProblem.Kind) { rawValue = problem.rawValue }
    public var description: String { rawValue }

    /// Where a kind comes from, how bad it is, and what it means.
    public struct Entry: Sendable {
        public var kind: FindingKind
        public var verifier: String
        public var severity: Finding.Severity
        public var meaning: String
    }

    /// The catalog entry of this kind; nil for a kind no verifier reports.
    public var entry: Entry? { FindingKind.catalog.first { $0.kind == self } }
}

extension FindingKind {
    // Disk scrubber: the extent problems `ExtentProblem.Kind` names, plus identity.
    public static let extentIdentity = FindingKind(rawValue: "extent_identity")
    // Metadata scanner.
    public static let missing = FindingKind(rawValue: "missing")
    public static let onlyInTrash = FindingKind(rawValue: "only_in_trash")
    public static let recordMismatch = FindingKind(rawValue: "record_mismatch")
    public static let unknownVolume = FindingKind(rawValue: "unknown_volume")
    public static let underReplicated = FindingKind(rawValue: "under_replicated")
    public static let noReplicas = FindingKind(rawValue: "no_replicas")
    // Peers (scanner, inspector).
    public static let nodeUnreachable = FindingKind(rawValue: "node_unreachable")
    public static let nodeUnauthorized = FindingKind(rawValue: "node_unauthorized")
    // Trash inspector.
    public static let trashInspectionFailed = FindingKind(rawValue: "trash_inspection_failed")
    public static let deletedWhileReferenced = FindingKind(rawValue: "deleted_while_referenced")
    public static let unindexedRecord = FindingKind(rawValue: "unindexed_record")
    // Extent referee.
    public static let unjustifiedTrash = FindingKind(rawValue: "unjustified_trash")
    public static let unjustifiedRestore = FindingKind(rawValue: "unjustified_restore")
    public static let unjustifiedUnlink = FindingKind(rawValue: "unjustified_unlink")
    public static let unjustifiedInstall = FindingKind(rawValue: "unjustified_install")
    public static let extentDeleted = FindingKind(rawValue: "extent_deleted")
    public static let extentMovedOut = FindingKind(rawValue: "extent_moved_out")
    public static let extentMissing = FindingKind(rawValue: "extent_missing")
    public static let unexpectedFile = FindingKind(rawValue: "unexpected_file")
    // Storage watcher.
    public static let notFound = FindingKind(rawValue: "not_found")
    public static let corrupt = FindingKind(rawValue: "corrupt")
    public static let wrongLength = FindingKind(rawValue: "wrong_length")
    public static let frontendUnavailable = FindingKind(rawValue: "frontend_unavailable")
    public static let frontendUnauthorized = FindingKind(rawValue: "frontend_unauthorized")
    public static let malformedSample = FindingKind(rawValue: "malformed_sample")
    // Cross-zone verifier.
    public static let missingInZone = FindingKind(rawValue: "missing_in_zone")
    public static let unreferencedInZone = FindingKind(rawValue: "unreferenced_in_zone")
    public static let zoneNotCovered = FindingKind(rawValue: "zone_not_covered")
    // Master (not a verifier: the store guarding itself).
    public static let blastRadiusExceeded = FindingKind(rawValue: "blast_radius_exceeded")

    /// Every kind a verifier reports, with its verifier, severity and meaning.
    public static let catalog: [Entry] = scrubberEntries + [
        Entry(kind: .extentIdentity, verifier: "disk-scrubber", severity: .critical,
              meaning: "the extent's header names another volume or generation than its file name, the index places no live replica of it on this node (and no instruction is placing or removing it), or none of its records is its volume's: valid bytes in the wrong place"),
        Entry(kind: .missing, verifier: "metadata-scanner", severity: .error,
              meaning: "a live replica's node does not hold a block the index places in its volume (re-read and asked again before reporting)"),
        Entry(kind: .onlyInTrash, verifier: "metadata-scanner", severity: .critical, meaning: "the node holds the block only in a trash extent"),
        Entry(kind: .recordMismatch, verifier: "metadata-scanner", severity: .error,
              meaning: "the index row's length or checksum differs from the record the node holds (the nodes that disagree are listed)"),
        Entry(kind: .unknownVolume, verifier: "metadata-scanner", severity: .critical, meaning: "a live block's volume is not in the index"),
        Entry(kind: .underReplicated, verifier: "metadata-scanner", severity: .error, meaning: "a volume holding live blocks has fewer live replicas than its replication"),
        Entry(kind: .noReplicas, verifier: "metadata-scanner", severity: .critical, meaning: "a volume holding live blocks has no live replica"),
        Entry(kind: .nodeUnreachable, verifier: "metadata-scanner", severity: .warning,
              meaning: "a node did not answer; its blocks are rechecked when it does, never reported missing"),
        Entry(kind: .nodeUnauthorized, verifier: "metadata-scanner, trash-inspector, cross-zone-verifier", severity: .error,
              meaning: "a node refused the verifier's credential: fix the token file; its blocks are not judged until it answers"),
        Entry(kind: .trashInspectionFailed, verifier: "trash-inspector", severity: .critical,
              meaning: "a trash extent holds a live block without an intact copy on every live replica elsewhere, or does not parse: it must not be unlinked"),
        Entry(kind: .deletedWhileReferenced, verifier: "trash-inspector", severity: .critical,
              meaning: "a trash extent holds a block deleted in the index that a live File Journal file of a user homed in the zone still references (deleted by key while another file shares it): the extent is not unlinked"),
        Entry(kind: .unindexedRecord, verifier: "trash-inspector", severity: .critical,
              meaning: "a trash extent holds a record with no index row that a live File Journal file of a user homed in the zone references (a committed block whose row was lost, not a never-committed write): the extent is not unlinked"),
        Entry(kind: .unjustifiedTrash, verifier: "extent-referee", severity: .critical, meaning: "an extent is in trash/ with no recorded delete instruction"),
        Entry(kind: .unjustifiedRestore, verifier: "extent-referee", severity: .critical, meaning: "an extent moved back from trash/ (or found in extents/ after an executed trash) with no recorded restore or install instruction since"),
        Entry(kind: .unjustifiedUnlink, verifier: "extent-referee", severity: .critical,
              meaning: "an extent left trash/ without an unlink instruction after a passed inspection and the retention"),
        Entry(kind: .unjustifiedInstall, verifier: "extent-referee", severity: .critical,
              meaning: "an extent appeared in extents/ with no recorded install instruction for its generation (nor as a volume the index just created there)"),
        Entry(kind: .extentDeleted, verifier: "extent-referee", severity: .critical, meaning: "an extent was unlinked from extents/ (extents are only unlinked from trash/)"),
        Entry(kind: .extentMovedOut, verifier: "extent-referee", severity: .critical, meaning: "an extent was renamed or moved out of extents/"),
        Entry(kind: .extentMissing, verifier: "extent-referee", severity: .critical, meaning: "the index says this node holds a live replica that extents/ does not have"),
        Entry(kind: .unexpectedFile, verifier: "extent-referee", severity: .error,
              meaning: "a file in extents/ or trash/ that is not an extent name (v04.g1.extent, a copy, a backup): no verifier judges its bytes and no store path serves them"),
        Entry(kind: .notFound, verifier: "storage-watcher", severity: .critical, meaning: "a sampled acknowledged write cannot be found at a stage"),
        Entry(kind: .corrupt, verifier: "storage-watcher", severity: .critical, meaning: "a sampled write read back with the wrong bytes at a stage"),
        Entry(kind: .wrongLength, verifier: "storage-watcher", severity: .critical, meaning: "a sampled write read back with the wrong length at a stage"),
        Entry(kind: .frontendUnavailable, verifier: "storage-watcher", severity: .warning,
              meaning: "the frontend could not serve (outage, refused connection): samples wait, nothing is judged"),
        Entry(kind: .frontendUnauthorized, verifier: "storage-watcher", severity: .error,
              meaning: "the frontend refused the watcher's credential: fix its token; samples wait, nothing is judged"),
        Entry(kind: .malformedSample, verifier: "storage-watcher", severity: .warning,
              meaning: "a sample that does not decode, or is stamped too far in the future: counted, never a data finding, never stalls a partition"),
        Entry(kind: .missingInZone, verifier: "cross-zone-verifier", severity: .critical, meaning: "a File Journal block is not live in one of its user's zones"),
        Entry(kind: .unreferencedInZone, verifier: "cross-zone-verifier", severity: .warning, meaning: "a zone holds a live block no File Journal file references, past the grace period"),
        Entry(kind: .zoneNotCovered, verifier: "cross-zone-verifier", severity: .error,
              meaning: "a File Journal user names zones the verifier is not configured for (a new zone, a typo): that user's blocks there are never checked until it covers them"),
        Entry(kind: .blastRadiusExceeded, verifier: "master", severity: .critical,
              meaning: "the master refused a round of trash, unlink, install-over or drain that would touch more than its cap of a node's or the zone's extents within the window; the work stays pending until it fits or an operator lifts the cap (vigil drain N --lift-blast-radius-cap)"),
    ]

    static let scrubberEntries: [Entry] = ExtentProblem.allKinds.map { kind in
        let critical: Set<ExtentProblem.Kind> = [.keyMismatch, .truncatedTail, .badExtentHeader]
        return Entry(kind: FindingKind(kind), verifier: "disk-scrubber", severity: critical.contains(kind) ? .critical : .error,
                     meaning: scrubberMeanings[kind.rawValue] ?? "extent damage (see Schemas/extent-format.md)")
    }

    static let scrubberMeanings: [String: String] = [
        "bad_extent_header": "the 64-byte extent header is short, has the wrong magic, or fails its CRC",
        "bad_magic": "no record header where one should start",
        "header_crc": "a record header fails its CRC32C",
        "data_crc": "a record's data fails its CRC32C",
        "bad_length": "a record header claims a length above the extent's maximum block size",
        "length_past_end": "a record runs past the end of a sealed extent's record area",
        "truncated_tail": "a sealed extent ends early: its last record or its footer is cut off",
        "key_mismatch": "every CRC holds, but SHA-256 of the data is not the record's key",
        "footer_mismatch": "the footer index and the records disagree",
        "footer_corrupt": "the footer's trailer is malformed or fails its CRC",
        "unreadable": "the extent file cannot be read (I/O error, permission)",
    ]
}

extension Finding {
    /// A finding of a catalogued kind, at the catalog's severity.
    public init(_ kind: FindingKind, subject: String, details: [String: String] = [:]) {
        self.init(kind: kind.rawValue, subject: subject, severity: kind.entry?.severity ?? .error, details: details)
    }
}

extension FindingKind {
    /// The catalog as the Markdown table in `Schemas/findings.md`.
    public static var markdownTable: String {
        (["| kind | verifier | severity | meaning |", "|---|---|---|---|"]
            + catalog.map { "| `\($0.kind.rawValue)` | \($0.verifier) | \($0.severity.rawValue) | \($0.meaning) |" })
            .joined(separator: "\n")
    }
}

/// Who writes a ledger row: the six verifiers, and the master (which reports
/// the store guarding itself). The row-level security function
/// `vigil_own_verifier()` (`Schemas/ledger/0001_ledger.sql`) maps each
/// component's database role to one of these.
public struct VerifierID: LedgerVocabulary {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let diskScrubber = VerifierID(rawValue: "disk-scrubber")
    public static let metadataScanner = VerifierID(rawValue: "metadata-scanner")
    public static let trashInspector = VerifierID(rawValue: "trash-inspector")
    public static let extentReferee = VerifierID(rawValue: "extent-referee")
    public static let storageWatcher = VerifierID(rawValue: "storage-watcher")
    public static let crossZoneVerifier = VerifierID(rawValue: "cross-zone-verifier")
    /// Not a verifier: the master's own findings (blast radius).
    public static let master = VerifierID(rawValue: "master")

    public static let known: [VerifierID] = verifiers + [.master]
    /// The verifiers every zone runs (the cross-zone verifier is global).
    public static let zoneVerifiers: [VerifierID] = [.diskScrubber, .metadataScanner, .trashInspector, .extentReferee, .storageWatcher]
    public static let verifiers: [VerifierID] = zoneVerifiers + [.crossZoneVerifier]
}

/// What one pass of a verifier covers. A zone's verifiers name their scope
/// after the zone; the cross-zone verifier's is `global`.
public struct LedgerScope: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// The metadata scanner (unsharded) and the trash inspector.
    public static func zone(_ zone: String) -> LedgerScope { LedgerScope(rawValue: zone) }
    /// The disk scrubber and the extent referee: one node's disk.
    public static func node(_ node: Int, in zone: String) -> LedgerScope { LedgerScope(rawValue: "\(zone)/node-\(node)") }
    /// One shard of a sharded metadata scanner (`index` from 1).
    public static func shard(_ index: Int, of count: Int, in zone: String) -> LedgerScope {
        LedgerScope(rawValue: "\(zone)/shard-\(index)-of-\(count)")
    }
    /// One storage watcher stage (`1m`, `1h`, …).
    public static func stage(_ stage: String, in zone: String) -> LedgerScope { LedgerScope(rawValue: "\(zone)/\(stage)") }
    /// The cross-zone verifier.
    public static let global = LedgerScope(rawValue: "global")
}

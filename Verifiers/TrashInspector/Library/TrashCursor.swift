/// Where a trash inspection pass is: the position (`node/name`, see
/// `TrashInspector.position`) of the last trash extent inspected. Stored by the
/// runner in its one versioned encoding, so a restart resumes after it.
public struct TrashCursor: Codable, Sendable, Equatable {
    /// Zero-padded node id, a slash, the extent name: sorts like the listing.
    var after: String
}

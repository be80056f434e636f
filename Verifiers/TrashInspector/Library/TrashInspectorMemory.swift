import VigilCore

/// What a trash extent's node says about its file: a change in any of it means
/// the bytes may have changed and the extent is judged afresh.
struct TrashFileStat: Sendable, Equatable {
    var size: UInt64
    var mtime: Double
    var sealed: Bool

    init(_ listing: ExtentListing) {
        size = listing.size
        mtime = listing.mtime
        sealed = listing.sealed
    }
}

/// A trash extent that passed, and the evidence it passed on. It is not judged
/// again while its file and its index evidence stay the same, until `judgedAt`
/// is older than the configured re-judge age.
struct PassedTrashExtent: Sendable {
    var file: TrashFileStat
    /// Every key judged (records and footer entries), sorted.
    var keys: [BlockKey]
    /// The digest of the index rows and replica sets the verdict read (`TrashInspector.indexEvidence`).
    var evidence: BlockKey
    var judgedAt: ContinuousClock.Instant
}

/// The inspector's memory between steps, in this process only: the listing the
/// current pass walks (taken once at its start, not at every step) and the
/// extents that passed. A restart forgets both: the next pass lists again and
/// judges every extent afresh, as a first pass does.
final class TrashInspectorMemory: Sendable {
    private struct State {
        var listing: TrashListing?
        var passed: [String: PassedTrashExtent] = [:]
    }

    private let state = LockedValue(State())

    var listing: TrashListing? { state.withLock { $0.listing } }

    func setListing(_ listing: TrashListing?) { state.withLock { $0.listing = listing } }

    func passed(at position: String) -> PassedTrashExtent? { state.withLock { $0.passed[position] } }

    func remember(_ extent: PassedTrashExtent, at position: String) { state.withLock { $0.passed[position] = extent } }

    func forget(_ position: String) { state.withLock { $0.passed[position] = nil } }

    /// Drops what is remembered of extents no longer in the trash of a node that
    /// answered `listing` (unlinked, restored); nodes that did not answer keep theirs.
    func prune(to listing: TrashListing) {
        let present = Set(listing.extents.map { TrashInspector.position($0.node, $0.name) })
        state.withLock { s in
            s.passed = s.passed.filter { position, _ in
                guard let node = Int(position.prefix(8)) else { return false }
                return listing.answered[node] == nil || present.contains(position)
            }
        }
    }
}

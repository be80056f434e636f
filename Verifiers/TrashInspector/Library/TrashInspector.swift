import Foundation
import Logging
import VigilCore
import VigilLedger
import VigilNodeClient
import VigilPostgres
import VigilVerifier

/// Proves, before a trash extent may be unlinked, that nothing in it is the
/// last good copy of a block. One trash extent per step; the verdict is one of:
///
/// - **passed**: the extent parses completely (every record, the footer, the
///   header naming this extent) and every key in it — the union of the records
///   that parse and the footer's entries — is deleted in the index, has no index
///   row (never acknowledged; counted), or is live and read back intact (bytes
///   whose SHA-256 is the key, of the index row's length) from every one of its
///   volume's live replicas other than this extent, at least R of them.
/// - **failed**: anything else that was observed; a row in `trash_inspections`
///   (the master never unlinks it) and one open `trash_inspection_failed`
///   finding for the extent, resolved only when it passes or is unlinked or
///   restored through recorded instructions.
/// - **not judged**: a replica or the extent's node did not answer (or refused
///   the token); nothing is recorded, the extent stays unlinkable, the peer is
///   reported unreachable, and the next pass tries again.
///
/// A pass walks the trash listed at its start. An extent that passed is not
/// downloaded or judged again while the node lists the same file and the index
/// evidence it passed on is unchanged (`stillPasses`); failed and unjudged
/// extents are judged at every pass.
public struct TrashInspector: SweepCheck {
    public let config: TrashInspectorConfig
    let index: BlockIndex
    let logger: Logger
    let memory = TrashInspectorMemory()
    /// The File Journal, read only (`config.journalDatabaseURL`; `TrashInspector+References`).
    let journal: PostgresPool?

    public init(config: TrashInspectorConfig, pool: PostgresPool, logger: Logger = Logger(label: "vigil-trash-inspector")) {
        self.config = config
        index = BlockIndex(pool: pool)
        journal = config.journalDatabaseURL.map { PostgresPool(url: $0, size: 2) }
        self.logger = logger
    }

    /// The verifier id findings, passes and cursors are recorded under.
    public static let verifier = VerifierID.trashInspector.rawValue

    static func position(_ node: NodeRecord, _ name: ExtentName) -> String {
        String(format: "%08d/", node.id) + name.description
    }

    static func subject(node: Int, _ name: ExtentName) -> String { "node/\(node)/trash/\(name)" }

    /// Lists the trash the pass walks (at its start, at a resumption, and when the
    /// runner re-estimates).
    public func estimatePass() async throws -> PassEstimate {
        let listing = try await trashExtents()
        memory.setListing(listing)
        return PassEstimate(units: Double(listing.extents.count), unit: .items)
    }

    public func step(at cursor: TrashCursor?, limiter: SharedRateLimiter) async throws -> Step<TrashCursor> {
        var listing = memory.listing ?? TrashListing()
        if memory.listing == nil {
            _ = try await estimatePass()
            listing = memory.listing ?? listing
        }
        let after = cursor?.after ?? ""
        // The first extent past the cursor (the listing is sorted by position).
        var low = 0, high = listing.extents.count
        while low < high {
            let mid = (low + high) / 2
            if Self.position(listing.extents[mid].node, listing.extents[mid].name) > after { high = mid } else { low = mid + 1 }
        }
        guard low < listing.extents.count else { return .complete(try await finishPass()) }
        let next = listing.extents[low]
        let outcome = try await inspect(next.node, next.name, file: next.file, silent: listing.peers)
        await limiter.wait(1)
        return .next(TrashCursor(after: Self.position(next.node, next.name)), outcome)
    }

    /// The pass's last step: lists the trash afresh, resolves the findings and
    /// credential conditions it settles, and forgets extents no longer there.
    private func finishPass() async throws -> StepOutcome {
        let listing = try await trashExtents()
        memory.setListing(nil)
        memory.prune(to: listing)
        var done = StepOutcome()
        listing.peers.apply(to: &done, zone: config.zone, answered: Array(listing.answered.keys))
        done.cleanPrefixes += try await goneThroughInstructions(answered: listing.answered)
        return done
    }
}

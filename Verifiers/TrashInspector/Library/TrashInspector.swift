import Foundation
import Logging
import VigilCore
import VigilNodeClient
import VigilPostgres
import VigilVerifier

/// Configuration of a zone's trash inspector.
public struct TrashInspectorConfig: Sendable {
    public var zone: String
    public var databaseURL: String
    /// Reader token for the zone's nodes.
    public var nodeToken: String
    /// Where trash extents are staged while inspected.
    public var workDirectory: String
    public var profile: CadenceProfile = .production
    public var passInterval: Duration = .seconds(600)
    /// Block reads in flight at once against one replica while copies are verified.
    public var readConcurrency = 8
    /// How long a node request (listing, block read) may take before the node
    /// counts as unreachable for this step; extent downloads have their own limit.
    public var nodeTimeout: Duration = .seconds(10)
    public var host = "127.0.0.1"
    public var port = 7600

    public init(zone: String, databaseURL: String, nodeToken: String, workDirectory: String) {
        self.zone = zone
        self.databaseURL = databaseURL
        self.nodeToken = nodeToken
        self.workDirectory = workDirectory
    }

    public mutating func applyDevProfile() {
        profile = .dev
        passInterval = .milliseconds(500)
        nodeTimeout = .seconds(2)
    }
}

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
public struct TrashInspector: VerifierCheck {
    public let config: TrashInspectorConfig
    let index: BlockIndex
    let logger: Logger

    public init(config: TrashInspectorConfig, pool: PostgresPool, logger: Logger = Logger(label: "vigil-trash-inspector")) {
        self.config = config
        index = BlockIndex(pool: pool)
        self.logger = logger
    }

    /// Every trash extent of every node that answered, sorted by position.
    func trashExtents() async throws -> TrashListing {
        var listing = TrashListing()
        for node in try await index.nodes() {
            do {
                var names = Set<ExtentName>()
                for entry in try await client(node).listExtents() where entry.location == "trash" {
                    if let name = ExtentName(entry.name) { names.insert(name) }
                }
                listing.answered[node.id] = names
                listing.extents += names.map { (node, $0) }
            } catch {
                listing.peers.note(node, error)
            }
        }
        listing.extents.sort { Self.position($0.node, $0.name) < Self.position($1.node, $1.name) }
        return listing
    }

    /// The verifier id findings, passes and cursors are recorded under.
    public static let verifier = "trash-inspector"

    static func position(_ node: NodeRecord, _ name: ExtentName) -> String {
        String(format: "%08d/", node.id) + name.description
    }

    static func subject(node: Int, _ name: ExtentName) -> String { "node/\(node)/trash/\(name)" }

    static func peer(_ node: NodeRecord) -> String { "node/\(node.id)" }

    func client(_ node: NodeRecord) -> NodeClient {
        var client = NodeClient(address: node.address, token: config.nodeToken)
        let (seconds, attoseconds) = config.nodeTimeout.components
        client.timeout = .milliseconds(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        return client
    }

    public func estimatePass() async throws -> PassEstimate {
        PassEstimate(units: Double(try await trashExtents().extents.count), unit: .items)
    }

    public func step(from cursor: [UInt8], limiter: SharedRateLimiter) async throws -> StepOutcome {
        let after = String(decoding: cursor, as: UTF8.self)
        let listing = try await trashExtents()
        guard let next = listing.extents.first(where: { Self.position($0.node, $0.name) > after }) else {
            var done = StepOutcome(cursor: cursor, passComplete: true)
            listing.peers.apply(to: &done, zone: config.zone, answered: Array(listing.answered.keys))
            done.cleanPrefixes += try await goneThroughInstructions(answered: listing.answered)
            return done
        }
        var outcome = try await inspect(next.node, next.name, silent: listing.peers)
        outcome.cursor = Array(Self.position(next.node, next.name).utf8)
        await limiter.wait(1)
        return outcome
    }
}

import Foundation
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
    }
}

/// For every block in every trash extent of every node: the block must be
/// marked deleted in the index, or live and present on its volume's live
/// replicas elsewhere. Anything else fails the extent's inspection: a critical
/// finding, and the master will not unlink it. One trash extent per step.
public struct TrashInspector: VerifierCheck {
    public let config: TrashInspectorConfig
    let index: BlockIndex

    public init(config: TrashInspectorConfig, pool: PostgresPool) {
        self.config = config
        index = BlockIndex(pool: pool)
    }

    /// Every trash extent of every reachable node, as `NODE/NAME`, sorted; and the unreachable nodes.
    func trashExtents() async throws -> (extents: [(node: NodeRecord, name: ExtentName)], unreachable: [String]) {
        var out: [(NodeRecord, ExtentName)] = []
        var unreachable: [String] = []
        for node in try await index.nodes() {
            do {
                for listing in try await NodeClient(address: node.address, token: config.nodeToken).listExtents()
                where listing.location == "trash" {
                    if let name = ExtentName(listing.name) { out.append((node, name)) }
                }
            } catch {
                unreachable.append("node/\(node.id)")
            }
        }
        return (out.sorted { Self.position($0.0, $0.1) < Self.position($1.0, $1.1) }, unreachable)
    }

    static func position(_ node: NodeRecord, _ name: ExtentName) -> String {
        String(format: "%08d/", node.id) + name.description
    }

    public func estimatePass() async throws -> PassEstimate {
        PassEstimate(units: Double(try await trashExtents().extents.count), unit: .items)
    }

    public func step(from cursor: [UInt8], limiter: SharedRateLimiter) async throws -> StepOutcome {
        let after = String(decoding: cursor, as: UTF8.self)
        let (extents, unreachable) = try await trashExtents()
        guard let next = extents.first(where: { Self.position($0.node, $0.name) > after }) else {
            var done = StepOutcome(cursor: cursor, passComplete: true)
            done.unreachable = unreachable
            return done
        }
        var outcome = try await inspect(next.node, next.name)
        outcome.cursor = Array(Self.position(next.node, next.name).utf8)
        await limiter.wait(1)
        return outcome
    }
}

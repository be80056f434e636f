import Foundation
import VigilCore
import VigilNodeClient
import VigilPostgres

extension TrashInspector {
    /// Every trash extent of every node that answered, sorted by position, with
    /// what the node says of its file. A node's failed listing is noted; a
    /// cancelled one (shutdown) ends the step.
    func trashExtents() async throws -> TrashListing {
        var listing = TrashListing()
        for node in try await index.nodes() {
            do {
                var files: [ExtentName: TrashFileStat] = [:]
                for entry in try await client(node).listExtents() where entry.location == "trash" {
                    if let name = ExtentName(entry.name) { files[name] = TrashFileStat(entry) }
                }
                listing.answered[node.id] = Set(files.keys)
                listing.extents += files.map { (node, $0.key, $0.value) }
            } catch let error as NodeClientError {
                listing.peers.note(node, error)
            }
        }
        listing.extents.sort { Self.position($0.node, $0.name) < Self.position($1.node, $1.name) }
        return listing
    }

    func client(_ node: NodeRecord) -> NodeClient {
        var client = NodeClient(address: node.address, token: config.nodeToken)
        let (seconds, attoseconds) = config.nodeTimeout.components
        client.timeout = .milliseconds(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        return client
    }
}

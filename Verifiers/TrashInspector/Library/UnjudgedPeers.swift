import VigilCore
import VigilLedger
import VigilNodeClient
import VigilPostgres
import VigilVerifier

/// Every trash extent of every node that answered, and the nodes that did not.
struct TrashListing: Sendable {
    var extents: [(node: NodeRecord, name: ExtentName, file: TrashFileStat)] = []
    /// Node id → the trash extent names it listed.
    var answered: [Int: Set<ExtentName>] = [:]
    var peers = UnjudgedPeers()
}

/// Peers whose answer the inspector needed and did not get. Neither kind ever
/// judges a block: an extent that needs one of them is "not judged yet".
struct UnjudgedPeers: Sendable {
    enum Trouble { case unreachable, unauthorized }

    private(set) var unreachable: Set<Int> = []
    /// Node id → what it answered.
    private(set) var unauthorized: [Int: String] = [:]

    var isEmpty: Bool { unreachable.isEmpty && unauthorized.isEmpty }

    /// The trouble a node's failed request shows about the node, or `nil` when it
    /// gave a definite answer (not found, corrupt record, …) that judges a block.
    /// Only the clients' error model says anything about a peer: a cancelled
    /// request (shutdown) or a local failure is no answer from the node at all,
    /// and the caller rethrows it.
    static func trouble(_ error: NodeClientError) -> Trouble? {
        if error.isUnauthorized { return .unauthorized }
        switch error.kind {
        case .unreachable, .protocolViolation: return .unreachable
        case .status(let status): return (502...504).contains(status) ? .unreachable : nil
        }
    }

    /// Records that `node` failed a request with `error`, an error that leaves
    /// its answer unknown.
    mutating func note(_ node: NodeRecord, _ error: NodeClientError) {
        note(node.id, Self.trouble(error) ?? .unreachable, "\(error)")
    }

    mutating func note(_ node: Int, _ trouble: Trouble, _ message: String) {
        switch trouble {
        case .unreachable: unreachable.insert(node)
        case .unauthorized: unauthorized[node] = message
        }
    }

    /// What is known to be wrong with `node`, if anything.
    func trouble(of node: Int) -> (Trouble, String)? {
        if let message = unauthorized[node] { return (.unauthorized, message) }
        return unreachable.contains(node) ? (.unreachable, "did not answer its listing") : nil
    }

    /// Unreachable peers go to the runner's metric; a peer refusing the token is a
    /// configuration finding of its own (`node_unauthorized`, subject
    /// `node/N/credential`), resolved once that node answers a listing again.
    func apply(to outcome: inout StepOutcome, zone: String, answered: [Int] = []) {
        outcome.unreachable += unreachable.sorted().map { "node/\($0)" }
        for (node, message) in unauthorized.sorted(by: { $0.key < $1.key }) {
            outcome.findings.append(Finding(
                kind: FindingKind.nodeUnauthorized.rawValue, subject: "node/\(node)/credential", severity: .error,
                details: ["zone": zone, "node": "\(node)", "detail": message]))
        }
        outcome.cleanPrefixes += answered.filter { unauthorized[$0] == nil }.sorted().map { "node/\($0)/credential" }
    }
}

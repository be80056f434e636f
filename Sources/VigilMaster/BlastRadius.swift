import VigilPostgres

/// The blast-radius cap: how much of one node's, and of the zone's, extents the
/// master's destructive steps of one action may touch within a sliding window.
/// A bug or a bad script that would delete a node's worth of data is stopped at
/// the first step that crosses it (as SeaweedFS refuses a repair when too much
/// is missing); an operator lifts it for one node for a real decommission.
///
/// Actions: `trash` (every extent moved into trash: GC, drain, recorded
/// instructions), `unlink`, `install-over` (a repair replacing an extent the node
/// holds), and `drain` (judged whole, before the first replica moves).
public struct BlastRadiusCap: Sendable, Equatable {
    /// Largest share of one node's extents one action may touch per window (default 10%).
    public var nodeShare = 0.10
    /// Largest share of the zone's extents one action may touch per window (default 5%).
    public var zoneShare = 0.05
    /// The sliding window the steps are counted in (default the last hour).
    public var window: Duration = .seconds(3600)
    /// The node cap never goes below this many extents per window (default 64), so a
    /// small node's routine GC and repairs proceed; production nodes (1 GiB volumes,
    /// thousands of extents) are governed by the share.
    public var minimumNodeExtents = 64
    /// The zone cap never goes below this many extents per window (default 256).
    public var minimumZoneExtents = 256
    /// False turns the cap off (never in production).
    public var enabled = true

    public init() {}

    var windowSeconds: Double {
        Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
    }
}

/// One action's budget for one round: a pure value over the window's history,
/// unit-testable without I/O. `admit` spends it; refusals are remembered for
/// the finding.
struct BlastRadiusBudget: Sendable {
    struct Refusal: Sendable, Equatable {
        var node: Int
        /// Steps on the node within the window plus those refused now.
        var wouldTouch: Int
        var nodeCap: Int
        var zoneCap: Int
        var zoneWouldTouch: Int
    }

    let action: String
    let cap: BlastRadiusCap
    let extents: [Int: Int]
    let lifted: Set<Int>
    private(set) var used: [Int: Int]
    private(set) var refusals: [Int: Refusal] = [:]

    init(action: String, cap: BlastRadiusCap, history: DestructiveHistory) {
        self.action = action
        self.cap = cap
        extents = history.extents
        lifted = history.lifted
        used = history.steps[action] ?? [:]
    }

    func nodeCap(_ node: Int) -> Int {
        max(cap.minimumNodeExtents, Int((cap.nodeShare * Double(extents[node] ?? 0)).rounded(.down)))
    }

    var zoneCap: Int {
        max(cap.minimumZoneExtents, Int((cap.zoneShare * Double(extents.values.reduce(0, +))).rounded(.down)))
    }

    /// Steps in the window on nodes whose cap is not lifted: a lifted node's
    /// decommission does not use up the rest of the zone's budget.
    var zoneUsed: Int { used.filter { !lifted.contains($0.key) }.values.reduce(0, +) }

    /// Whether `count` more steps on `node` stay within both caps (spends nothing).
    func fits(node: Int, count: Int = 1) -> Bool {
        guard cap.enabled, !lifted.contains(node) else { return true }
        return used[node, default: 0] + count <= nodeCap(node) && zoneUsed + count <= zoneCap
    }

    /// Spends `count` steps on `node`, or records the refusal and returns false.
    mutating func admit(node: Int, count: Int = 1) -> Bool {
        if fits(node: node, count: count) {
            if cap.enabled, !lifted.contains(node) { used[node, default: 0] += count }
            return true
        }
        refuse(node: node, count: count)
        return false
    }

    /// Records that `count` steps on `node` were refused.
    mutating func refuse(node: Int, count: Int) {
        var refusal = refusals[node] ?? Refusal(
            node: node, wouldTouch: used[node, default: 0], nodeCap: nodeCap(node), zoneCap: zoneCap, zoneWouldTouch: zoneUsed)
        refusal.wouldTouch += count
        refusal.zoneWouldTouch += count
        refusals[node] = refusal
    }
}

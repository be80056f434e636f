import Foundation
import Logging
import VigilPostgres

/// One round's budgets, one per destructive action, over the window's history.
/// A drain is judged whole against the trash budget (a drain's destructive step
/// is moving the old extents into trash) before its first replica moves.
struct BlastRadiusRound: Sendable {
    static let actions = ["trash", "unlink", "install-over", "drain", "rereplicate"]

    var trash: BlastRadiusBudget
    var unlink: BlastRadiusBudget
    var installOver: BlastRadiusBudget
    /// Counts trash steps; only its refusals are used (a drain spends nothing up front).
    var drain: BlastRadiusBudget
    /// Replicas of a dead node marked lost and re-created elsewhere (an operator's
    /// `vigil nodes retire N --dead` lifts it for that node; a node declared dead
    /// by the master's --dead-after stays within it).
    var rereplicate: BlastRadiusBudget

    init(cap: BlastRadiusCap, history: DestructiveHistory) {
        trash = BlastRadiusBudget(action: "trash", cap: cap, history: history)
        unlink = BlastRadiusBudget(action: "unlink", cap: cap, history: history)
        installOver = BlastRadiusBudget(action: "install-over", cap: cap, history: history)
        drain = BlastRadiusBudget(action: "trash", cap: cap, history: history)
        rereplicate = BlastRadiusBudget(action: "rereplicate", cap: cap, history: history)
    }

    func refusals(of action: String) -> [BlastRadiusBudget.Refusal] {
        let budget = switch action {
        case "trash": trash
        case "unlink": unlink
        case "install-over": installOver
        case "rereplicate": rereplicate
        default: drain
        }
        return budget.refusals.values.sorted { $0.node < $1.node }
    }
}

/// A destructive step the blast-radius cap refused; the work stays pending.
struct BlastRadiusRefused: Error, CustomStringConvertible {
    var action: String
    var node: Int
    var description: String { "\(action) on node \(node) refused: over the blast-radius cap" }
}

extension Master {
    static let blastRadiusKind = "blast_radius_exceeded"

    func blastRadiusSubject(_ action: String) -> String { "zone/\(config.zone)/blast-radius/\(action)" }

    /// Raises (or keeps open) one critical finding per refused action; resolves
    /// an action's finding once a whole round judged it and refused nothing.
    func report(_ round: BlastRadiusRound, completed: Bool) async {
        for action in BlastRadiusRound.actions {
            let refusals = round.refusals(of: action)
            do {
                if let worst = refusals.max(by: { $0.wouldTouch - $0.nodeCap < $1.wouldTouch - $1.nodeCap }) {
                    blastRadiusRefusals.increment()
                    try await raiseBlastRadiusFinding(action: action, worst: worst, all: refusals, cap: round.trash.cap)
                } else if completed {
                    try await resolveBlastRadiusFinding(action: action)
                }
            } catch {
                logger.error("cannot record the blast-radius finding", metadata: ["vigil.action": "\(action)", "vigil.error": "\(error)"])
            }
        }
    }

    private func raiseBlastRadiusFinding(action: String, worst: BlastRadiusBudget.Refusal, all: [BlastRadiusBudget.Refusal], cap: BlastRadiusCap) async throws {
        let name = try await index.nodes().first { $0.id == worst.node }?.name ?? "node-\(worst.node)"
        let detail = """
            \(action) on \(name) (node \(worst.node)) would touch \(worst.wouldTouch) extents of the node within \(Int(cap.windowSeconds)) s \
            (cap \(worst.nodeCap): \(Int(cap.nodeShare * 100))% of its extents, at least \(cap.minimumNodeExtents)) and \(worst.zoneWouldTouch) of the zone \
            (cap \(worst.zoneCap): \(Int(cap.zoneShare * 100))%, at least \(cap.minimumZoneExtents)); refused, left pending. \
            \(action == "rereplicate" ? "For a node lost for good: vigil nodes retire \(worst.node) --dead" : "For a real decommission: vigil drain \(worst.node) --lift-blast-radius-cap")
            """
        let details: [String: Any] = [
            "action": action, "node": "\(worst.node)", "node_name": name, "would_touch": "\(worst.wouldTouch)",
            "cap": "\(worst.nodeCap)", "zone_would_touch": "\(worst.zoneWouldTouch)", "zone_cap": "\(worst.zoneCap)",
            "window_seconds": "\(Int(cap.windowSeconds))", "nodes": all.map { "\($0.node)" }.joined(separator: ","), "detail": detail,
        ]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: details, options: [.sortedKeys]), as: UTF8.self)
        let new = try await index.pool.withConnection { [config] c in
            try await c.query("""
                INSERT INTO findings (verifier, kind, subject, severity, scope, details) VALUES ('master', $1, $2, 'critical', $3, $4::jsonb)
                ON CONFLICT (verifier, kind, subject) WHERE resolved_at IS NULL
                DO UPDATE SET last_seen = now(), details = EXCLUDED.details
                RETURNING (xmax = 0)
                """, [.text(Self.blastRadiusKind), .text(blastRadiusSubject(action)), .text(config.zone), .text(json)]).bool(0, 0)
        }
        if new { logger.critical("blast-radius cap refused a destructive round", metadata: ["vigil.action": "\(action)", "vigil.node": "\(name)", "vigil.detail": "\(detail)"]) }
    }

    private func resolveBlastRadiusFinding(action: String) async throws {
        let resolved = try await index.pool.withConnection { c in
            try await c.query("""
                UPDATE findings SET resolved_at = now(), resolution = 'the master judged a whole round of this action within the cap'
                WHERE verifier = 'master' AND kind = $1 AND subject = $2 AND resolved_at IS NULL
                """, [.text(Self.blastRadiusKind), .text(blastRadiusSubject(action))]).affectedRows
        }
        if resolved > 0 { logger.notice("blast-radius finding resolved", metadata: ["vigil.action": "\(action)"]) }
    }
}

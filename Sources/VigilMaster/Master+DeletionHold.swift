import Logging
import VigilCore
import VigilNodeClient
import VigilPostgres

extension Master {
    /// The most open `missing_in_zone` keys one unlink is checked against; with
    /// more, every unlink in the zone waits (the zone has lost far more than GC explains).
    static let heldKeysLimit = 100_000

    /// Whether the unlink of `trashed` (a trash extent on `node`) must wait although
    /// its inspection passed: an open `missing_in_zone` finding of the cross-zone
    /// verifier names a block of this zone that the node holds only in the trash of
    /// that volume — possibly the zone's last copy of a block a live file needs.
    /// Defence in depth for a short retention that beats the inspector's view of the
    /// File Journal. Fails closed: a journal or node that does not answer holds it.
    /// Without `config.journalDatabaseURL` nothing is held.
    func unlinkHeld(_ trashed: ExtentInstruction, on node: NodeRecord) async -> Bool {
        guard let journal else { return false }
        let context: Logger.Metadata = ["vigil.node": "\(node.name)", "vigil.volume": "\(trashed.volume)", "vigil.generation": "\(trashed.generation)"]
        do {
            let keys = try await openMissingInZone(journal)
            guard !keys.isEmpty else { return false }
            guard keys.count < Self.heldKeysLimit else {
                logger.warning("unlink held: too many open missing_in_zone findings to check one by one", metadata: context)
                return true
            }
            let answers = try await self.node(node).check(keys.map { (key: $0, volume: UInt64(trashed.volume)) })
            guard let held = zip(keys, answers).first(where: { $0.1 == .trashOnly })?.0 else { return false }
            logger.warning("unlink held: the trash extent holds a block the cross-zone verifier reports missing in the zone", metadata: context.merging([
                "vigil.key": "\(held.hex)",
            ]) { $1 })
            return true
        } catch {
            logger.warning("unlink held: cannot tell whether the extent holds a block missing in the zone", metadata: context.merging([
                "vigil.error": "\(error)",
            ]) { $1 })
            return true
        }
    }

    /// The keys of this zone's open `missing_in_zone` findings (the cross-zone
    /// verifier's ledger is in the File Journal's database), sorted.
    private func openMissingInZone(_ journal: PostgresPool) async throws -> [BlockKey] {
        try await journal.withConnection { [zone = config.zone] c in
            let rows = try await c.query("""
                SELECT DISTINCT details->>'key' FROM findings
                WHERE verifier = 'cross-zone-verifier' AND kind = 'missing_in_zone' AND resolved_at IS NULL AND details->>'zone' = $1
                ORDER BY 1 LIMIT $2
                """, [.text(zone), .int64(Int64(Self.heldKeysLimit))])
            return (0..<rows.count).compactMap { BlockKey(hex: rows.string($0, 0)) }
        }
    }
}

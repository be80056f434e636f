import VigilCore
import VigilLedger
import VigilPostgres

extension TrashInspector {
    /// Subjects of open `trash_inspection_failed` findings whose extent is gone
    /// from its node's trash (the node answered) through a recorded, executed
    /// unlink or restore instruction newer than its trash instruction. An extent
    /// that vanished without one keeps its finding: nothing proved it harmless.
    func goneThroughInstructions(answered: [Int: Set<ExtentName>]) async throws -> [String] {
        let filter = FindingFilter(
            window: .open, verifiers: [.trashInspector], kinds: [.trashInspectionFailed], scope: .zone(config.zone), limit: 1_000_000)
        let open = try await index.pool.withConnection { c in try await LedgerReader(c).findings(filter).map(\.subject) }
        var gone: [String] = []
        for subject in open {
            let parts = subject.split(separator: "/")
            guard parts.count == 4, parts[0] == "node", parts[2] == "trash", let node = Int(parts[1]), let name = ExtentName(parts[3]),
                  let names = answered[node], !names.contains(name)
            else { continue }
            let volume = Int64(name.volume), generation = Int(name.generation)
            let trashed = try await index.instructions(kind: InstructionKind.trash.rawValue, node: node, volume: volume, generation: generation)
                .filter(\.executed).map(\.id).max() ?? 0
            var settled = false
            for kind in [InstructionKind.unlink, .restore] {
                let later = try await index.instructions(kind: kind.rawValue, node: node, volume: volume, generation: generation)
                settled = settled || later.contains { $0.executed && $0.id > trashed }
            }
            if settled { gone.append(subject) }
        }
        return gone
    }
}

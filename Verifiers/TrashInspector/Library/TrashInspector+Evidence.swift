import VigilCore
import VigilLedger
import VigilPostgres

extension TrashInspector {
    /// A digest of everything in the index a trash extent's verdict rests on:
    /// the rows of its keys (state, volume, length, checksum, or none), the state,
    /// replication and live or repairing replicas (with their generations) of the
    /// extent's volume and every volume those rows name, the File Journal's
    /// references to its deleted and unindexed keys, and the extent's trash
    /// instructions (a restore and a new trash need a new inspection). Three round
    /// trips (four with the journal) whatever the number of keys. Taken before
    /// judging: a change during the judgment shows as a different digest next pass.
    func indexEvidence(of keys: [BlockKey], node: Int, _ name: ExtentName) async throws -> BlockKey {
        let rows = try await index.rows(of: keys)
        let volumes = Set(rows.values.map(\.volume)).union([Int64(name.volume)])
        let replicaSets = try await index.replicaSets(of: volumes)
        let trashed = try await index.instructions(
            kind: InstructionKind.trash.rawValue, node: node, volume: Int64(name.volume), generation: Int(name.generation))
        var text = "trash \(trashed.map { "\($0.id)\($0.executed ? "x" : "")" })\n"
        for key in keys {
            guard let row = rows[key] else { text += "\(key.hex) none\n"; continue }
            text += "\(key.hex) \(row.volume) \(row.length) \(row.checksum) \(row.state.rawValue)\n"
        }
        if let journal {
            // Deleted or unindexed keys pass only while no live file references them.
            let safe = keys.filter { rows[$0].map { $0.state == .deleted } ?? true }
            let references = try await journalReferences(safe, journal: journal)
            for (key, reference) in references.sorted(by: { $0.key.hex < $1.key.hex }) {
                text += "\(key.hex) referenced by file \(reference.file) (\(reference.files))\n"
            }
        }
        for volume in volumes.sorted() {
            guard let set = replicaSets[volume] else { text += "v\(volume) none\n"; continue }
            let live = set.liveNodes.map { "\($0)g\(set.liveGenerations[$0] ?? -1)" }
            text += "v\(volume) \(set.state) \(set.replication) live \(live) repairing \(set.repairingNodes)\n"
        }
        return BlockKey.of(Array(text.utf8))
    }

    /// Whether the extent at `position` passed earlier on what still holds: the
    /// node lists the same file, the index says the same, and the verdict is
    /// younger than `config.rejudgeAfter`. Anything else judges it afresh.
    func stillPasses(at position: String, node: Int, _ name: ExtentName, file: TrashFileStat) async throws -> Bool {
        guard let passed = memory.passed(at: position) else { return false }
        guard passed.file == file, ContinuousClock.now - passed.judgedAt < config.rejudgeAfter,
              (try? await indexEvidence(of: passed.keys, node: node, name)) == passed.evidence  // no answer: judge afresh
        else {
            memory.forget(position)
            return false
        }
        return true
    }
}

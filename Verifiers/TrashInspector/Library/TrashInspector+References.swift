import VigilCore
import VigilLedger
import VigilPostgres
import VigilVerifier

/// A live File Journal file (of a user homed in the inspected zone) that references a block.
struct JournalReference: Sendable, Equatable {
    var file: Int64
    var user: String
    /// How many such files reference the block.
    var files: Int
}

extension TrashInspector {
    /// The File Journal's files, of users homed in this zone, referencing `keys`: one
    /// round trip, the keys as one array parameter. Throws when the journal does not answer.
    func journalReferences(_ keys: [BlockKey], journal: PostgresPool) async throws -> [BlockKey: JournalReference] {
        guard !keys.isEmpty else { return [:] }
        return try await journal.withConnection { [zone = config.zone] c in
            let rows = try await c.query("""
                SELECT fb.key, min(f.id), min(u.name), count(DISTINCT f.id)::int8
                FROM file_blocks fb JOIN files f ON f.id = fb.file_id JOIN users u ON u.id = f.user_id
                WHERE fb.key = ANY($1) AND $2 = ANY(u.zones) GROUP BY fb.key
                """, [.byteaArray(keys.map(\.bytes)), .text(zone)])
            var found: [BlockKey: JournalReference] = [:]
            for i in 0..<rows.count {
                guard let key = BlockKey(bytes: rows.bytes(i, 0)) else { continue }
                found[key] = JournalReference(file: try rows.int64(i, 1), user: rows.string(i, 2), files: Int(try rows.int64(i, 3)))
            }
            return found
        }
    }

    /// Turns the keys judged safe by the index alone — deleted, or with no row —
    /// into failures when a live file still references them: a block deleted by
    /// key while another file shares it (`deleted_while_referenced`), or a
    /// committed block whose index row was lost (`unindexed_record`). A record no
    /// file references stays never committed. Without an answer from the
    /// journal those keys are not judged: never passed blind.
    func holdReferenced(_ verdicts: inout [BlockKey: KeyVerdict], name: ExtentName) async {
        guard let journal else { return }
        let safe = verdicts.filter { $0.value == .deleted || $0.value == .neverCommitted }.map(\.key)
        guard !safe.isEmpty else { return }
        let references: [BlockKey: JournalReference]
        do {
            references = try await journalReferences(safe, journal: journal)
        } catch {
            logger.warning("the File Journal did not answer: deleted and unindexed blocks are not judged", metadata: [
                "vigil.extent": "\(name)", "vigil.error": "\(error)",
            ])
            for key in safe { verdicts[key] = .notJudged }
            return
        }
        for (key, reference) in references {
            let files = "file \(reference.file) of user \(reference.user)" + (reference.files > 1 ? " and \(reference.files - 1) more" : "")
            verdicts[key] = verdicts[key] == .deleted
                ? .failed(Self.referencedReason(.deletedWhileReferenced, "deleted in the index while \(files) references it"))
                : .failed(Self.referencedReason(.unindexedRecord, "no index row, yet \(files) references it: a committed block whose row was lost"))
        }
    }

    static func referencedReason(_ kind: FindingKind, _ text: String) -> String { "\(kind.rawValue): \(text)" }

    /// The subject of the finding of `kind` about the trash extent `name` on `node`.
    static func referencedSubject(node: Int, _ name: ExtentName, _ kind: FindingKind) -> String {
        subject(node: node, name) + "/" + kind.rawValue
    }

    /// For a failed inspection: one finding per kind of referenced block the extent
    /// holds (with the first key and the count), and both subjects observed, so
    /// a kind no longer seen is resolved.
    func noteReferenced(_ verdicts: [BlockKey: KeyVerdict], node: Int, _ name: ExtentName, into outcome: inout StepOutcome) {
        for kind in [FindingKind.deletedWhileReferenced, .unindexedRecord] {
            let subject = Self.referencedSubject(node: node, name, kind)
            outcome.observedSubjects.append(subject)
            let prefix = Self.referencedReason(kind, "")
            let held = verdicts.compactMap { key, verdict -> (BlockKey, String)? in
                if case .failed(let reason) = verdict, reason.hasPrefix(prefix) { return (key, String(reason.dropFirst(prefix.count))) }
                return nil
            }.sorted { $0.0.hex < $1.0.hex }
            guard let first = held.first else { continue }
            outcome.findings.append(Finding(kind, subject: subject, details: [
                "zone": config.zone, "node": "\(node)", "extent": name.description, "volume": "\(name.volume)",
                "key": first.0.hex, "blocks": "\(held.count)", "detail": first.1,
            ]))
        }
    }
}

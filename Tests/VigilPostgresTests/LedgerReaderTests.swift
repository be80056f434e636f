import Foundation
import Testing
import VigilLedger
import VigilPostgres
import VigilTestSupport

/// The one reader of findings, passes and repair requests, over a real ledger.
@Suite("Ledger reader", .timeLimit(.minutes(2)))
struct LedgerReaderTests {
    static func withLedger(_ body: @Sendable (PostgresConnection, String) async throws -> Void) async throws {
        try await TestPostgres.shared.withDatabase { url in
            let owner = try await PostgresConnection.connect(url: url)
            try await Migrator(set: .blockIndex).migrate(owner)
            try await body(owner, url)
        }
    }

    static func insertFinding(_ c: PostgresConnection, _ verifier: VerifierID, _ kind: FindingKind, _ subject: String,
                              _ severity: String, scope: String, lastSeenAgo: Int = 0, resolution: String? = nil) async throws {
        try await c.query("""
            INSERT INTO findings (verifier, kind, subject, severity, scope, first_seen, last_seen, resolved_at, resolution)
            VALUES ($1, $2, $3, $4, $5, now() - make_interval(secs => $6), now() - make_interval(secs => $6),
                    CASE WHEN $7::text IS NULL THEN NULL ELSE now() END, $7)
            """, [.text(verifier.rawValue), .text(kind.rawValue), .text(subject), .text(severity), .text(scope),
                  .float64(Double(lastSeenAgo)), resolution.map { .text($0) } ?? .null])
    }

    @Test("findings filter by window, verifier, kind, severity and scope; a hostile kind is one value")
    func findingFilters() async throws {
        try await Self.withLedger { c, _ in
            try await Self.insertFinding(c, .diskScrubber, FindingKind(rawValue: "data_crc"), "node/1/a", "error", scope: "z/node-1")
            try await Self.insertFinding(c, .diskScrubber, FindingKind(rawValue: "data_crc,missing"), "node/1/b", "critical", scope: "z/node-1")
            try await Self.insertFinding(c, .metadataScanner, .missing, "block/aa", "error", scope: "z", lastSeenAgo: 7200, resolution: "observed clean")
            try await Self.insertFinding(c, .storageWatcher, .notFound, "stage/1m/block/bb", "critical", scope: "z/1m", lastSeenAgo: 60, resolution: "observed clean")
            try await Self.insertFinding(c, .metadataScanner, .nodeUnreachable, "node/3/unreachable", "warning", scope: "z")
            let ledger = LedgerReader(c)

            #expect(try await ledger.findings().map(\.subject) == ["node/3/unreachable", "node/1/b", "node/1/a"], "open, newest first")
            #expect(try await ledger.findings(FindingFilter(window: .all)).count == 5)
            let recent = try await ledger.findings(FindingFilter(window: .openOrSeenWithin(seconds: 3600), severities: [.error, .critical]))
            #expect(Set(recent.map(\.subject)) == ["node/1/a", "node/1/b", "stage/1m/block/bb"], "the scanner's finding resolved two hours ago is outside")
            #expect(try await ledger.findings(FindingFilter(kinds: [FindingKind(rawValue: "data_crc")])).map(\.subject) == ["node/1/a"],
                    "a kind holding a comma neither matches nor splits")
            #expect(try await ledger.findings(FindingFilter(kinds: [FindingKind(rawValue: "data_crc,missing")])).map(\.subject) == ["node/1/b"])
            #expect(try await ledger.findings(FindingFilter(scope: .zone("z"))).map(\.kind) == [.nodeUnreachable])
            #expect(try await ledger.findings(FindingFilter(window: .all, verifiers: [.storageWatcher])).first?.isOpen == false)
            #expect(try await ledger.findings(FindingFilter(verifiers: [])).isEmpty, "an empty list matches nothing")
            #expect(try await ledger.findings(FindingFilter(limit: 1)).count == 1)

            let counts = try await ledger.openFindingCounts()
            #expect(counts.first { $0.verifier == .diskScrubber && $0.severity == .critical }?.count == 1)
            #expect(counts.reduce(0) { $0 + $1.count } == 3)
        }
    }

    @Test("a finding by id with its details; resolving by hand takes the operator's role and is told apart")
    func showAndResolveByHand() async throws {
        try await Self.withLedger { c, url in
            try await Self.insertFinding(c, .diskScrubber, .extentIdentity, "node/1/x", "critical", scope: "z/node-1")
            let id = try await c.query("SELECT id FROM findings").int64(0, 0)
            let scanner = LedgerReader(try await PostgresConnection.connect(url: DatabaseRole.scanner.url(url)))
            #expect(try await scanner.resolveByHand(id: id, note: "forged") == false, "a verifier's role resolves nobody's finding by hand")
            let op = LedgerReader(try await PostgresConnection.connect(url: DatabaseRole.operator.url(url)))
            #expect(try await op.resolveByHand(id: id, note: "disk replaced"))
            #expect(try await op.resolveByHand(id: id, note: "again") == false, "only an open finding")
            let f = try #require(try await op.finding(id: id))
            #expect(f.kind == .extentIdentity && f.severity == .critical && f.scope == .node(1, in: "z"))
            #expect(f.resolvedByHand && f.resolution == "by hand: disk replaced" && !f.isOpen)
            #expect(try await op.finding(id: id + 1) == nil)
        }
    }

    @Test("the last complete pass inside a window, pass summaries, the repair backlog")
    func passesAndRepairs() async throws {
        try await Self.withLedger { c, _ in
            try await c.simpleQuery("""
                INSERT INTO passes (verifier, scope, state, started_at, finished_at, items_checked)
                VALUES ('trash-inspector', 'z', 'complete', now() - interval '3 hours', now() - interval '2 hours', 4),
                       ('trash-inspector', 'z', 'abandoned', now() - interval '1 hour', NULL, 1),
                       ('trash-inspector', 'z', 'running', now(), NULL, 0);
                INSERT INTO repair_queue (volume_id, node_id, reason, requested_by, state)
                VALUES (1, 1, 'r', 'x', 'pending'), (2, 1, 'r', 'x', 'running'), (3, 1, 'r', 'x', 'done'), (3, 2, 'r', 'x', 'done');
                """)
            let ledger = LedgerReader(c)
            let last = try #require(try await ledger.lastCompletePass(.trashInspector, scope: .zone("z")))
            #expect(last.itemsChecked == 4 && last.status == .complete)
            #expect(try await ledger.lastCompletePass(.trashInspector, scope: .zone("z"), startedWithinSeconds: 3600) == nil)
            #expect(try await ledger.lastCompletePass(.diskScrubber, scope: .zone("z")) == nil)
            #expect(try await ledger.runningPass(.trashInspector, scope: .zone("z"))?.status == .running)
            let summary = try await ledger.passSummaries()
            #expect(summary.count == 1 && summary[0].completePasses == 1 && summary[0].lastCompleteFinishedAt == last.finishedAt)
            #expect(try await ledger.repairBacklog() == 2)
            #expect(try await ledger.repairCounts()[.done] == 2)
        }
    }
}

/// The vocabulary: today's strings, and any other string read safely.
@Suite("Ledger vocabulary")
struct LedgerVocabularyTests {
    @Test("raw values are the strings the schema and the verifiers store", .timeLimit(.minutes(1)))
    func rawValuesAreTodaysStrings() {
        #expect(VerifierID.verifiers.map(\.rawValue) == ["disk-scrubber", "metadata-scanner", "trash-inspector", "extent-referee",
                                                         "storage-watcher", "cross-zone-verifier"])
        #expect(VolumeState.known.map(\.rawValue) == ["open", "closed", "sealed", "retired"])
        #expect(ReplicaState.known.map(\.rawValue) == ["live", "repairing", "trashed", "lost"])
        #expect(NodeState.known.map(\.rawValue) == ["up", "down", "draining", "retired", "dead"])
        #expect(InstructionKind.known.map(\.rawValue) == ["trash", "unlink", "restore", "install"])
        #expect(RepairState.known.map(\.rawValue) == ["pending", "running", "done", "failed", "superseded", "refused"])
        #expect(LedgerScope.shard(2, of: 4, in: "z").rawValue == "z/shard-2-of-4" && LedgerScope.stage("1m", in: "z").rawValue == "z/1m")
    }

    @Test("a word from a newer build decodes as unknown, never a crash; an unknown severity counts as critical", .timeLimit(.minutes(1)))
    func unknownWordsDecode() throws {
        let decoded = try JSONDecoder().decode([NodeState].self, from: Data(#"["up", "hibernating", ""]"#.utf8))
        #expect(decoded.map(\.isKnown) == [true, false, false])
        #expect(String(decoding: try JSONEncoder().encode(decoded), as: UTF8.self) == #"["up","hibernating",""]"#)
        #expect(!VerifierID(rawValue: "future-verifier").isKnown)
        #expect(Finding.Severity(stored: "fatal") == .critical && Finding.Severity(stored: "info") == .info)
    }
}

import Testing
import VigilPostgres
import VigilTestSupport
import VigilVerifier

@Suite("Ledger: findings resolved when observed clean", .timeLimit(.minutes(2)))
struct LedgerResolutionTests {
    static func finding(_ kind: String, node: Int, key: String) -> Finding {
        Finding(kind: kind, subject: "node/\(node)/volume/1/block/\(key)", severity: .error, details: ["node": "\(node)", "key": key])
    }

    @Test("key ranges resolve only their kinds, nodes and keys; prefixes resolve in one statement")
    func cleanRangesAndPrefixes() async throws {
        try await TestPostgres.shared.withDatabase { url in
            try await Migrator(set: .blockIndex).migrate(try await PostgresConnection.connect(url: url))
            let pool = PostgresPool(url: url, size: 2)
            let ledger = VerifierLedger(pool: pool, verifier: "metadata-scanner", scope: "zone-a")
            try await ledger.report([
                Self.finding("missing", node: 1, key: "aa"), Self.finding("missing", node: 2, key: "aa"),
                Self.finding("missing", node: 1, key: "ff"), Self.finding("only_in_trash", node: 1, key: "bb"),
                Finding(kind: "node_unreachable", subject: "node/3/unreachable", severity: .warning),
                Finding(kind: "under_replicated", subject: "volume/7/replicas", severity: .error),
            ])
            var outcome = StepOutcome(cursor: [], passComplete: false)
            outcome.cleanKeyRanges = [
                CleanKeyRange(from: "00", to: "cc", kinds: ["missing"], match: ["node": "1"]),
                CleanKeyRange(from: "00", to: "cc", kinds: ["missing", "only_in_trash"], match: ["node": "9"]),
            ]
            outcome.cleanPrefixes = ["node/3/unreachable", "volume/7/replicas"]
            let (_, resolved) = try await ledger.apply(outcome)
            #expect(resolved == 3)
            let open = try await LedgerReader(try await PostgresConnection.connect(url: url)).findings()
            #expect(open.map(\.subject).sorted() == [
                "node/1/volume/1/block/bb", "node/1/volume/1/block/ff", "node/2/volume/1/block/aa",
            ])

            // A finding reported again in the same step stays open, even inside a clean range.
            var again = StepOutcome(cursor: [], passComplete: false)
            again.findings = [Self.finding("missing", node: 2, key: "aa")]
            again.cleanKeyRanges = [CleanKeyRange(from: "00", to: "ff", kinds: ["missing", "only_in_trash"], match: ["node": "2"])]
            #expect(try await ledger.apply(again).resolved == 0)
        }
    }

    @Test("subjects holding a newline, a tab or a comma resolve as themselves: a prefix or an observed subject is one array element")
    func hostileSubjectsResolveExactly() async throws {
        try await TestPostgres.shared.withDatabase { url in
            try await Migrator(set: .blockIndex).migrate(try await PostgresConnection.connect(url: url))
            let ledger = VerifierLedger(pool: PostgresPool(url: url, size: 2), verifier: "metadata-scanner", scope: "zone-a")
            let subjects = ["a\nb", "a", "b", "x\ty", "x", "c,d", "c"]
            try await ledger.report(subjects.map { Finding(kind: "missing", subject: $0, severity: .error) }
                + [Finding(kind: "only_in_trash", subject: "x\ty", severity: .error)])
            // Once prefixes went newline-joined: "a\nb" also resolved everything under "a" and "b".
            #expect(try await ledger.resolve(subjectPrefixes: ["a\nb"], resolution: "observed clean") == 1)
            var outcome = StepOutcome(cursor: [], passComplete: false)
            outcome.observedSubjects = ["x\ty", "c,d"]
            outcome.findings = [Finding(kind: "missing", subject: "x\ty", severity: .error)]  // still seen: stays open
            let (_, resolved) = try await ledger.apply(outcome)
            #expect(resolved == 2, "x\\ty's only_in_trash and c,d: not x, not c, not x\\ty's missing seen again")
            let open = try await LedgerReader(try await PostgresConnection.connect(url: url)).findings()
            #expect(Set(open.map { "\($0.kind) \($0.subject)" }) == ["missing a", "missing b", "missing x\ty", "missing x", "missing c"])
        }
    }
}

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
            let open = try await PostgresConnection.connect(url: url).query(
                "SELECT subject FROM findings WHERE resolved_at IS NULL ORDER BY subject")
            #expect((0..<open.count).map { open.string($0, 0) } == [
                "node/1/volume/1/block/bb", "node/1/volume/1/block/ff", "node/2/volume/1/block/aa",
            ])

            // A finding reported again in the same step stays open, even inside a clean range.
            var again = StepOutcome(cursor: [], passComplete: false)
            again.findings = [Self.finding("missing", node: 2, key: "aa")]
            again.cleanKeyRanges = [CleanKeyRange(from: "00", to: "ff", kinds: ["missing", "only_in_trash"], match: ["node": "2"])]
            #expect(try await ledger.apply(again).resolved == 0)
        }
    }
}

import Testing
import VigilCore
import VigilLedger
import VigilPostgres
import VigilTestSupport
import VigilVerifier
@testable import VigilCrossZoneVerifier

/// A File Journal user naming a zone the verifier is not configured for (a
/// zone being added, a typo in `users.zones`) is a finding, never a silent
/// skip: the journal walk looks blocks up only in the zones it covers.
@Suite("Cross-zone coverage of users' zones", .serialized, .timeLimit(.minutes(3)))
struct CrossZoneCoverageTests {
    static func pass(_ verifier: CrossZoneVerifier, _ ledger: VerifierLedger) async throws -> [String] {
        var cursor: CrossZoneCursor?
        var subjects: [String] = []
        for _ in 0..<100 {
            let step = try await verifier.step(at: cursor, limiter: SharedRateLimiter(rate: nil))
            subjects += step.outcome.findings.filter { $0.kind == FindingKind.zoneNotCovered.rawValue }.map(\.subject)
            try await ledger.apply(step.outcome)
            guard let next = step.next else { return subjects }
            cursor = next
        }
        Issue.record("the pass did not end")
        return subjects
    }

    @Test("a user naming an unconfigured or misspelled zone is one open error per user; it resolves once every zone is covered")
    func uncoveredZonesAreFindings() async throws {
        try await TestPostgres.shared.withDatabase { journalURL in
            try await TestPostgres.shared.withDatabase { zoneURL in
                _ = try await Migrator(set: .blockIndex).migrate(try await PostgresConnection.connect(url: zoneURL))
                let journalDB = try await PostgresConnection.connect(url: journalURL)
                _ = try await Migrator(set: .fileJournal).migrate(journalDB)
                _ = try await Migrator(set: .ledger).migrate(journalDB)
                let journal = FileJournal(pool: PostgresPool(url: journalURL, size: 1))
                _ = try await journal.user(named: "alice", creatingIn: ["zone-a"])
                _ = try await journal.user(named: "bob", creatingIn: ["zone-a", "zone-B"])
                _ = try await journal.user(named: "carol", creatingIn: ["zone-c"])
                var config = CrossZoneConfig(journalURL: journalURL, zones: [.init(name: "zone-a", databaseURL: zoneURL)])
                config.grace = .zero
                let verifier = CrossZoneVerifier(config: config, journal: PostgresPool(url: journalURL, size: 1))
                let ledger = VerifierLedger(pool: PostgresPool(url: journalURL, size: 1), verifier: "cross-zone-verifier", scope: "global")

                #expect(try await Self.pass(verifier, ledger).sorted() == ["user/bob/zones", "user/carol/zones"])
                let open = try await journalDB.query("""
                    SELECT subject, severity, details->>'zones' FROM findings WHERE kind = 'zone_not_covered' AND resolved_at IS NULL ORDER BY subject
                    """)
                #expect(open.count == 2)
                #expect(open.count == 2 && open.string(0, 2) == "zone-B" && open.string(1, 2) == "zone-c")
                #expect(open.count == 2 && open.string(0, 1) == "error", "an error: the gate blocks on it")

                // Seen again next pass: still one finding each, still open.
                _ = try await Self.pass(verifier, ledger)
                #expect(try await journalDB.query("SELECT count(*) FROM findings WHERE kind = 'zone_not_covered'").int64(0, 0) == 2)

                // The typo fixed: bob's finding resolves; carol's zone is still not covered.
                try await journalDB.query("UPDATE users SET zones = ARRAY['zone-a'] WHERE name = 'bob'")
                #expect(try await Self.pass(verifier, ledger) == ["user/carol/zones"])
                let still = try await journalDB.query("SELECT subject FROM findings WHERE kind = 'zone_not_covered' AND resolved_at IS NULL")
                #expect(still.count == 1 && still.string(0, 0) == "user/carol/zones")
            }
        }
    }
}

import Foundation
import Testing
import VigilLedger
import VigilPostgres
import VigilTestSupport

/// A verifier's credential cannot hide a finding from the gate: findings are
/// raised, seen again and resolved, with the server's clock, never rewritten
/// (`Schemas/ledger/0002_findings_append_and_observe.sql`; review defect 4).
@Suite("Finding tampering", .timeLimit(.minutes(2)))
struct FindingTamperTests {
    /// What the gate reads: open, or error/critical seen in its window.
    static func gateSees(_ owner: PostgresConnection, _ id: Int64) async throws -> LedgerFinding? {
        try await LedgerReader(owner).findings(FindingFilter(window: .openOrSeenWithin(seconds: 600), severities: [.error, .critical]))
            .first { $0.id == id }
    }

    static func raise(_ c: PostgresConnection, _ verifier: String, subject: String) async throws -> Int64 {
        try await c.query("""
            INSERT INTO findings (verifier, kind, subject, severity, scope, first_seen, last_seen)
            VALUES ($1, 'unjustified_install', $2, 'critical', 'z/node-4', now() - interval '41 days', now() - interval '40 days')
            ON CONFLICT (verifier, kind, subject) WHERE resolved_at IS NULL DO UPDATE SET last_seen = now()
            RETURNING id
            """, [.text(verifier), .text(subject)]).int64(0, 0)
    }

    @Test("the referee and the scrubber cannot downgrade, backdate, rename or delete their own critical")
    func ownFindingCannotBeRewritten() async throws {
        try await withMigratedIndex { owner, url in
            for (role, verifier) in [(DatabaseRole.referee, "extent-referee"), (.scrubber, "disk-scrubber")] {
                let c = try await PostgresConnection.connect(url: role.url(url))
                let id = try await Self.raise(c, verifier, subject: "node/4/extents/v3.g1.extent")
                let stamped = try #require(try await Self.gateSees(owner, id), "a new critical is visible")
                #expect(Date().timeIntervalSince1970 - stamped.firstSeen < 60, "the server stamps first_seen: the row said 41 days ago")
                #expect(stamped.lastSeen == stamped.firstSeen)

                await expectRefused(c, """
                    UPDATE findings SET severity = 'info', first_seen = now() - interval '41 days', last_seen = now() - interval '40 days',
                        resolved_at = now() - interval '40 days', resolution = 'observed clean' WHERE id = $1
                    """, [.int64(id)])
                for change in ["severity = 'info'", "kind = 'benign'", "subject = 'node/4/elsewhere'", "scope = 'z/node-1'",
                               "first_seen = now() - interval '41 days'"] {
                    await expectRefused(c, "UPDATE findings SET \(change) WHERE id = $1", [.int64(id)])
                }
                await expectRefused(c, "DELETE FROM findings WHERE id = $1", [.int64(id)])

                // Moving last_seen back only stamps it now; seeing it again is how the ledger writes.
                try await c.query("UPDATE findings SET last_seen = now() - interval '40 days' WHERE id = $1", [.int64(id)])
                #expect(try await Self.raise(c, verifier, subject: "node/4/extents/v3.g1.extent") == id, "seen again: the same open finding")
                let seen = try #require(try await Self.gateSees(owner, id))
                #expect(Date().timeIntervalSince1970 - seen.lastSeen < 60 && seen.lastSeen >= stamped.lastSeen)

                // Resolving as observed is allowed, but at the server's time: the critical stays in the gate's window.
                #expect(try await c.query("""
                    UPDATE findings SET resolved_at = now() - interval '40 days', resolution = 'observed clean' WHERE id = $1
                    """, [.int64(id)]).affectedRows == 1)
                let resolved = try #require(try await Self.gateSees(owner, id), "a resolved critical is still seen in the window")
                #expect(resolved.severity == .critical && !resolved.resolvedByHand)
                #expect(Date().timeIntervalSince1970 - (resolved.resolvedAt ?? 0) < 60, "resolved now, not 40 days ago")

                // Once resolved it never changes again: no reopening to backdate, no rewording into a by-hand resolution.
                await expectRefused(c, "UPDATE findings SET resolved_at = NULL, resolution = NULL WHERE id = $1", [.int64(id)])
                await expectRefused(c, "UPDATE findings SET details = '{}'::jsonb WHERE id = $1", [.int64(id)])
                await expectRefused(c, """
                    INSERT INTO findings (verifier, kind, subject, severity, resolved_at, resolution)
                    VALUES ($1, 'unjustified_install', 'x', 'critical', now() - interval '40 days', 'observed clean')
                    """, [.text(verifier)])
                #expect(try await Self.gateSees(owner, id)?.severity == .critical)
            }
            let store = try await PostgresConnection.connect(url: DatabaseRole.store.url(url))
            await expectRefused(store, "DELETE FROM findings")
            #expect(try await owner.query("SELECT count(*) FROM findings WHERE severity = 'critical'").int(0, 0) == 2)
        }
    }

    @Test("an operator resolves by hand only, at the server's time, and cannot reword a verifier's resolution")
    func operatorResolvesByHandOnly() async throws {
        try await withMigratedIndex { owner, url in
            let scrubber = try await PostgresConnection.connect(url: DatabaseRole.scrubber.url(url))
            let open = try await Self.raise(scrubber, "disk-scrubber", subject: "a")
            let observed = try await Self.raise(scrubber, "disk-scrubber", subject: "b")
            try await scrubber.query("UPDATE findings SET resolved_at = now(), resolution = 'observed clean' WHERE id = $1", [.int64(observed)])

            let operatorRole = try await PostgresConnection.connect(url: DatabaseRole.operator.url(url))
            await expectRefused(operatorRole, "UPDATE findings SET resolution = 'by hand: fine' WHERE id = $1", [.int64(observed)])
            await expectRefused(operatorRole, "UPDATE findings SET resolved_at = now(), resolution = '' WHERE id = $1", [.int64(open)])
            #expect(try await LedgerReader(operatorRole).resolveByHand(id: open, note: "disk replaced"))
            let resolved = try #require(try await LedgerReader(owner).finding(id: open))
            #expect(resolved.resolvedByHand && Date().timeIntervalSince1970 - (resolved.resolvedAt ?? 0) < 60)
            #expect(try await LedgerReader(owner).finding(id: observed)?.resolution == "observed clean")
        }
    }
}

import Foundation
import Testing
import VigilLedger
import VigilPostgres
import VigilTestSupport

/// A verifier's credential cannot write a pass the gate would trust without
/// the pass having run: passes start running at the server's time, complete at
/// the server's time, and never change after; cursors point only at their own
/// running pass (`Schemas/ledger/0004_passes_run_forward.sql`; review 2, D3).
@Suite("Pass forgery", .timeLimit(.minutes(2)))
struct PassForgeryTests {
    static let scope = "zone-a/node-3"

    /// The pass the gate would count for the scrubber of `scope` in a 10-minute window.
    static func gateCounts(_ owner: PostgresConnection) async throws -> LedgerPass? {
        try await LedgerReader(owner).lastCompletePass(.diskScrubber, scope: LedgerScope(rawValue: scope), startedWithinSeconds: 600)
    }

    @Test("a scrubber cannot insert a complete, backdated or pre-counted pass; times are the server's; a finished pass is frozen")
    func passesRunForward() async throws {
        try await withMigratedIndex { owner, url in
            let c = try await PostgresConnection.connect(url: DatabaseRole.scrubber.url(url))
            // What repro_forged_passes.sh wrote every 3 s.
            await expectRefused(c, """
                INSERT INTO passes (verifier, scope, started_at, finished_at, items_checked, bytes_checked, state)
                VALUES ('disk-scrubber', $1, now() - interval '1 second', now(), 2, 5045115, 'complete')
                """, [.text(Self.scope)])
            await expectRefused(c, "INSERT INTO passes (verifier, scope, items_checked) VALUES ('disk-scrubber', $1, 7)", [.text(Self.scope)])
            await expectRefused(c, "INSERT INTO passes (verifier, scope, finished_at) VALUES ('disk-scrubber', $1, now())", [.text(Self.scope)])
            #expect(try await Self.gateCounts(owner) == nil)

            let id = try await c.query("""
                INSERT INTO passes (verifier, scope, started_at) VALUES ('disk-scrubber', $1, now() - interval '1 day') RETURNING id
                """, [.text(Self.scope)]).int64(0, 0)
            let started = try await owner.query("SELECT extract(epoch FROM started_at)::float8 FROM passes WHERE id = $1", [.int64(id)]).float64(0, 0)
            #expect(Date().timeIntervalSince1970 - started < 60, "the server stamps started_at: the row said a day ago")

            for change in ["started_at = now() - interval '1 day'", "scope = 'zone-a/node-1'", "verifier = 'metadata-scanner'"] {
                await expectRefused(c, "UPDATE passes SET \(change) WHERE id = $1", [.int64(id)])
            }
            try await c.query("UPDATE passes SET items_checked = 10, bytes_checked = 4096, finished_at = now() WHERE id = $1", [.int64(id)])
            #expect(try await owner.query("SELECT finished_at IS NULL FROM passes WHERE id = $1", [.int64(id)]).bool(0, 0),
                    "a running pass has no finish")
            await expectRefused(c, "UPDATE passes SET items_checked = 9 WHERE id = $1", [.int64(id)])
            await expectRefused(c, "UPDATE passes SET bytes_checked = 0 WHERE id = $1", [.int64(id)])

            // Completing is the runtime's path, and is stamped now whatever the row says.
            #expect(try await c.query("""
                UPDATE passes SET state = 'complete', finished_at = now() - interval '1 day', items_checked = 12 WHERE id = $1
                """, [.int64(id)]).affectedRows == 1)
            let pass = try #require(try await Self.gateCounts(owner), "a pass that ran and completed counts")
            #expect(pass.itemsChecked == 12 && pass.startedAt == started)
            #expect(Date().timeIntervalSince1970 - (pass.finishedAt ?? 0) < 60, "finished now, not a day ago")

            // Once complete, frozen: no reopening, no recount, no delete.
            for change in ["state = 'running'", "items_checked = 99", "finished_at = now()", "state = 'abandoned'"] {
                await expectRefused(c, "UPDATE passes SET \(change) WHERE id = $1", [.int64(id)])
            }
            await expectRefused(c, "DELETE FROM passes WHERE id = $1", [.int64(id)])
            let store = try await PostgresConnection.connect(url: DatabaseRole.store.url(url))
            #expect(try await store.query("DELETE FROM passes WHERE id = $1", [.int64(id)]).affectedRows == 0, "no policy lets the store delete a pass")
            #expect(try await Self.gateCounts(owner) == pass)
        }
    }

    @Test("a cursor points only at a running pass of its own verifier and scope, never moves scope, and is stamped now")
    func cursorsFollowTheirOwnPass() async throws {
        try await withMigratedIndex { owner, url in
            let c = try await PostgresConnection.connect(url: DatabaseRole.scrubber.url(url))
            let mine = try await c.query("INSERT INTO passes (verifier, scope) VALUES ('disk-scrubber', $1) RETURNING id", [.text(Self.scope)]).int64(0, 0)
            let other = try await c.query("INSERT INTO passes (verifier, scope) VALUES ('disk-scrubber', 'zone-a/node-1') RETURNING id").int64(0, 0)
            // A cursor for node-3 borrowing node-1's pass, or for a pass that is not running, is refused.
            await expectRefused(c, "INSERT INTO cursors (verifier, scope, pass_id, position) VALUES ('disk-scrubber', $1, $2, '\\xff')",
                                [.text(Self.scope), .int64(other)])
            try await c.query("""
                INSERT INTO cursors (verifier, scope, pass_id, position, updated_at) VALUES ('disk-scrubber', $1, $2, '\\x', now() - interval '1 day')
                """, [.text(Self.scope), .int64(mine)])
            let stamped = try await owner.query("SELECT extract(epoch FROM updated_at)::float8 FROM cursors WHERE scope = $1", [.text(Self.scope)]).float64(0, 0)
            #expect(Date().timeIntervalSince1970 - stamped < 60, "the server stamps updated_at")
            await expectRefused(c, "UPDATE cursors SET scope = 'zone-a/node-1' WHERE scope = $1", [.text(Self.scope)])
            await expectRefused(c, "UPDATE cursors SET pass_id = $2 WHERE scope = $1", [.text(Self.scope), .int64(other)])

            // The runtime's own moves still work: save a position, then complete and drop the cursor.
            try await c.query("UPDATE cursors SET position = '\\x0102' WHERE scope = $1", [.text(Self.scope)])
            try await c.query("UPDATE passes SET state = 'complete' WHERE id = $1", [.int64(mine)])
            await expectRefused(c, "UPDATE cursors SET position = '\\xff' WHERE scope = $1", [.text(Self.scope)])
            #expect(try await c.query("DELETE FROM cursors WHERE scope = $1", [.text(Self.scope)]).affectedRows == 1)
        }
    }
}

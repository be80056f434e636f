import Foundation
import Testing
import VigilCore
import VigilDev
import VigilPostgres
import VigilTestSupport

/// `vigil status` shows each scope's oldest verification: since the start of
/// its last complete pass, whatever a running pass has done; `never` without one.
@Suite("vigil status: verification age", .serialized, .timeLimit(.minutes(2)))
struct VerificationAgeStatusTests {
    @Test("per verifier and scope the oldest verification, in text and JSON: a running pass does not make it younger; never verified says so")
    func statusShowsOldestVerification() async throws {
        try await FindingsCommandTests.withLedgers { dir, zone, journal in
            try await zone.query("""
                INSERT INTO passes (verifier, scope, state, started_at, finished_at) VALUES
                    ('disk-scrubber', 'zone-a/node-1', 'complete', now() - interval '40 days', now() - interval '36 days'),
                    ('disk-scrubber', 'zone-a/node-1', 'complete', now() - interval '20 days', now() - interval '6 days'),
                    ('disk-scrubber', 'zone-a/node-1', 'abandoned', now() - interval '5 days', NULL)
                """)
            try await zone.query("INSERT INTO passes (verifier, scope, started_at) VALUES ('disk-scrubber', 'zone-a/node-1', now() - interval '1 hour')")
            try await zone.query("INSERT INTO passes (verifier, scope, started_at) VALUES ('metadata-scanner', 'zone-a', now() - interval '3 hours')")
            try await journal.query("""
                INSERT INTO passes (verifier, scope, state, started_at, finished_at)
                VALUES ('cross-zone-verifier', 'global', 'complete', now() - interval '2 hours', now() - interval '1 hour')
                """)

            let text = try Command.run([FindingsCommandTests.vigil, "status", "--dir", dir])
            let lines = text.split(separator: "\n").map(String.init)
            #expect(lines.contains { $0.contains("OLDEST VERIFIED") }, "\(text)")
            let scrubber = try #require(lines.first { $0.contains("disk-scrubber") && $0.contains("zone-a/node-1") }, "\(text)")
            #expect(scrubber.contains("20d ago"), "the last complete pass started 20 days ago: \(scrubber)")
            let scanner = try #require(lines.first { $0.contains("metadata-scanner") }, "\(text)")
            #expect(scanner.contains(" never "), "a running pass alone verifies nothing yet: \(scanner)")
            let crossZone = try #require(lines.first { $0.contains("cross-zone-verifier") }, "\(text)")
            #expect(crossZone.contains("2h ago"), "\(crossZone)")

            let json = try Command.run([FindingsCommandTests.vigil, "status", "--dir", dir, "--json"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
            let scopes = (report["databases"] as? [[String: Any]] ?? []).flatMap { $0["scopes"] as? [[String: Any]] ?? [] }
            func scope(_ verifier: String) throws -> [String: Any] {
                try #require(scopes.first { $0["verifier"] as? String == verifier }, "no \(verifier) in \(json)")
            }
            let age = try #require(try scope("disk-scrubber")["oldest_verification_age_seconds"] as? Double, "\(json)")
            #expect(abs(age - 20 * 86_400) < 120, "by the database's clock: \(age)")
            let since = try #require(try scope("disk-scrubber")["verified_since"] as? String)
            let parsed = try #require(try? Date(since, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)), "\(since)")
            #expect(abs(parsed.timeIntervalSinceNow + 20 * 86_400) < 120, "\(since)")
            #expect(try scope("metadata-scanner")["oldest_verification_age_seconds"] == nil, "never verified has no age, not 0: \(json)")
            let crossZoneAge = try #require(try scope("cross-zone-verifier")["oldest_verification_age_seconds"] as? Double)
            #expect(abs(crossZoneAge - 7200) < 120)
        }
    }
}

import Foundation
import Testing
import VigilPostgres
import VigilTestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `vigil gate --max-age`: every part of every expected scope's domain verified
/// within it, counted from the start of the scope's last complete pass (a
/// running pass does not make it younger); never verified blocks. Over a real
/// ledger (`GateWorkExistedTests.zone`: a dev zone, every scope fresh).
@Suite("Gate: verification age", .serialized, .timeLimit(.minutes(3)))
struct VerificationAgeGateTests {
    static func gate(_ url: String, _ extra: [String]) throws -> (status: Int32, output: String) {
        try GateFailsClosedTests.vigil(["gate", "--database", url, "--window", "30d"] + extra)
    }

    /// The scrubber's last complete pass started 20 days ago; a newer one has run for a minute and not finished.
    static func staleScrubber(_ c: PostgresConnection) async throws {
        try await c.query("""
            UPDATE passes SET started_at = now() - interval '20 days', finished_at = now() - interval '19 days'
            WHERE verifier = 'disk-scrubber'
            """)
        try await c.query("INSERT INTO passes (verifier, scope, started_at) VALUES ('disk-scrubber', 'zone-x/node-1', now() - interval '1 minute')")
    }

    @Test("a scope whose last complete pass started 20 days ago blocks --max-age 14d, naming it, though a newer pass runs; --max-age 30d signs off")
    func staleScopeBlocks() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await GateWorkExistedTests.zone(url)
            try await Self.staleScrubber(c)
            let unchecked = try Self.gate(url, [])
            #expect(unchecked.status == 0 && !unchecked.output.contains("max-age"), "no --max-age, no age check: \(unchecked.output)")

            let strict = try Self.gate(url, ["--max-age", "14d"])
            #expect(strict.status == 1, "\(strict.output)")
            #expect(strict.output.contains("[FAIL] disk-scrubber zone-x/node-1: oldest verification 20d ago"), "\(strict.output)")
            #expect(strict.output.contains("older than --max-age 14d"), "\(strict.output)")
            #expect(strict.output.contains("[ok] metadata-scanner zone-x: oldest verification"), "fresh scopes pass: \(strict.output)")
            #expect(strict.output.components(separatedBy: "[FAIL]").count == 2, "only the stale scope blocks: \(strict.output)")

            let loose = try Self.gate(url, ["--max-age", "30d"])
            #expect(loose.status == 0, "\(loose.output)")
            #expect(loose.output.contains("[ok] disk-scrubber zone-x/node-1: oldest verification 20d ago") && loose.output.contains("within --max-age 30d"), "\(loose.output)")
        }
    }

    @Test("the JSON and JUnit reports carry the age check: measured age, the max, and a test case per scope")
    func reportsCarryTheAgeCheck() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await GateWorkExistedTests.zone(url)
            try await Self.staleScrubber(c)
            let json = try Self.gate(url, ["--max-age", "14d", "--format", "json"])
            #expect(json.status == 1)
            let verdict = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any], "\(json.output)")
            #expect(verdict["verdict"] as? String == "blocked" && verdict["max_age"] as? String == "14d")
            let checks = try #require(verdict["checks"] as? [[String: Any]])
            let age = try #require(checks.first { $0["check"] as? String == "max_age" && $0["verifier"] as? String == "disk-scrubber" }, "\(json.output)")
            #expect(age["passed"] as? Bool == false && age["scope"] as? String == "zone-x/node-1")
            let seconds = try #require(age["oldest_verification_seconds"] as? Double)
            #expect(abs(seconds - 20 * 86_400) < 120, "20 days, by the database's clock: \(seconds)")
            #expect(age["max_age_seconds"] as? Double == Double(14 * 86_400))

            let junit = try Self.gate(url, ["--max-age", "14d", "--format", "junit"])
            let parser = XMLParser(data: Data(junit.output.utf8))
            let counter = JUnitCounter()
            parser.delegate = counter
            #expect(parser.parse(), "JUnit output parses as XML: \(junit.output)")
            #expect(counter.failures == 1, "\(junit.output)")
            #expect(junit.output.contains("<testcase classname=\"disk-scrubber\" name=\"zone-x/node-1 max-age\">"), "\(junit.output)")
            #expect(junit.output.contains("<testcase classname=\"disk-scrubber\" name=\"zone-x/node-1\"/>"), "the pass check still passes: \(junit.output)")
        }
    }

    @Test("a scope that never completed a pass blocks any --max-age; a sharded scanner's age is its oldest shard's")
    func neverVerifiedBlocks() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await GateWorkExistedTests.zone(url)
            try await c.query("UPDATE passes SET state = 'running', finished_at = NULL WHERE scope = 'zone-x/shard-2-of-2'")
            var gate = try Self.gate(url, ["--max-age", "3650d"])
            #expect(gate.status == 1, "\(gate.output)")
            #expect(gate.output.contains("[FAIL] metadata-scanner zone-x: zone-x/shard-2-of-2 never completed a pass"), "\(gate.output)")

            try await c.query("""
                UPDATE passes SET state = 'complete', started_at = now() - interval '25 days', finished_at = now() - interval '24 days'
                WHERE scope = 'zone-x/shard-2-of-2'
                """)
            gate = try Self.gate(url, ["--max-age", "21d"])
            #expect(gate.status == 1 && gate.output.contains("oldest verification 25d ago on zone-x/shard-2-of-2"), "\(gate.output)")
            gate = try Self.gate(url, ["--max-age", "26d"])
            #expect(gate.status == 0, "\(gate.output)")
        }
    }

    @Test("a --max-age a healthy sweep exceeds is refused (exit 2) naming the least it takes; a malformed one is a usage error")
    func impossibleMaxAgeIsRefused() async throws {
        try await TestPostgres.shared.withDatabase { url in
            _ = try await GateFailsClosedTests.migrated(url)
            _ = try GateFailsClosedTests.vigil(["zone", "configure", "--database", url, "--zone", "zone-x", "--profile", "production"])
            let production = try GateFailsClosedTests.vigil(["gate", "--database", url, "--window", "29d", "--max-age", "14d"])
            #expect(production.status == 2, "\(production.output)")
            #expect(production.output.contains("use --max-age 29d or longer") && production.output.contains("disk-scrubber"), "\(production.output)")
            for bad in ["14", "14 days", "0d", "d", "2w"] {
                let malformed = try GateFailsClosedTests.vigil(["gate", "--database", url, "--max-age", bad])
                #expect(malformed.status != 0 && malformed.status != 1, "\(bad): \(malformed.output)")
                #expect(malformed.output.contains("--max-age takes a number and a unit"), "\(bad): \(malformed.output)")
            }
        }
    }
}

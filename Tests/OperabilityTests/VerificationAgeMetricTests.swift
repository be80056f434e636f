import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilCore
import VigilDev
import VigilPostgres
import VigilTestSupport

/// A verifier daemon exports `vigil_verification_oldest_timestamp_seconds`:
/// the start of its scope's last complete pass, read from the ledger when a
/// pass starts (so a restarted daemon shows it) and moved only when one completes.
@Suite("Verification age metric", .serialized, .timeLimit(.minutes(3)))
struct VerificationAgeMetricTests {
    /// The exported value for the metadata scanner's scope `zone-x`; nil until it is exported.
    static func exported(_ port: Int) async -> Double? {
        guard let (data, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!) else { return nil }
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first {
            $0.hasPrefix("vigil_verification_oldest_timestamp_seconds{") && $0.contains("verifier=\"metadata-scanner\"") && $0.contains("scope=\"zone-x\"")
        }
        return line.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
    }

    static func lastCompleteStart(_ c: PostgresConnection) async throws -> Double {
        try await c.query("""
            SELECT extract(epoch FROM max(started_at))::float8 FROM passes WHERE verifier = 'metadata-scanner' AND scope = 'zone-x' AND state = 'complete'
            """).float64(0, 0)
    }

    @Test("while a scanner pass is held open by an unreachable node the metric stays at the last complete pass's start (20 days ago); when the pass completes it moves to that pass's start")
    func metricFollowsCompletePasses() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await GateFailsClosedTests.migrated(url)
            _ = try GateFailsClosedTests.vigil(["nodes", "add", "--database", url, "--id", "1", "--name", "node-1", "--address", "http://127.0.0.1:1"])
            try await c.query("INSERT INTO volumes (id, state, replication, created_at) VALUES (1, 'sealed', 1, now() - interval '1 hour')")
            try await c.query("INSERT INTO volume_replicas (volume_id, node_id) VALUES (1, 1)")
            try await c.query("""
                INSERT INTO blocks (key, volume_id, length, checksum, created_at) VALUES (decode(repeat('ab', 32), 'hex'), 1, 10, 0, now() - interval '1 hour')
                """)
            try await c.query("""
                INSERT INTO passes (verifier, scope, state, started_at, finished_at)
                VALUES ('metadata-scanner', 'zone-x', 'complete', now() - interval '20 days', now() - interval '19 days')
                """)
            let seeded = try await Self.lastCompleteStart(c)

            let dir = try makeTemporaryDirectory("vigil-age")
            defer { try? FileManager.default.removeItem(at: dir) }
            let token = dir.appendingPathComponent("node.token").path
            try "reader-token".write(toFile: token, atomically: true, encoding: .utf8)
            let port = try freeLoopbackPort()
            let pid = try Processes.spawn(
                ["\(Processes.executableDirectory)/vigil-metadata-scanner", "--zone", "zone-x", "--database", DatabaseRole.scanner.url(url),
                 "--node-token-file", token, "--port", "\(port)", "--profile", "dev"],
                log: dir.appendingPathComponent("scanner.log").path)
            defer { killProcess(pid) }

            // The pass runs and defers the unreachable node's block: it cannot complete.
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                try await c.query("SELECT count(*) FROM findings WHERE kind = 'node_unreachable'").int(0, 0) > 0
            }, "the scanner never found node 1 unreachable: \((try? String(contentsOf: dir.appendingPathComponent("scanner.log"), encoding: .utf8)) ?? "")")
            #expect(try await c.query("SELECT count(*) FROM passes WHERE verifier = 'metadata-scanner' AND state = 'running'").int(0, 0) == 1)
            let during = await Self.exported(port)
            #expect(during.map { abs($0 - seeded) < 0.01 } == true, "a running pass verified part of the zone, not all: \(String(describing: during)) vs \(seeded)")

            // Node 1 declared dead: the pass drops its deferred block and completes.
            try await c.query("UPDATE nodes SET state = 'dead' WHERE id = 1")
            var last: Double?
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                last = await Self.exported(port)
                let start = try await Self.lastCompleteStart(c)
                return start > seeded + 86_400 && last.map { abs($0 - start) < 0.01 } == true
            }, "the metric did not move to the completed pass's start: \(String(describing: last))")
        }
    }
}

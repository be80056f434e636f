import AsyncHTTPClient
import Foundation
import Testing
import VigilCore
import VigilDev
import VigilPostgres
import VigilTestSupport

@Suite("Metadata scanner: index rows agree with records; credentials are not reachability", .serialized)
struct MetadataAgreementTests {
    static func health(_ url: String) async -> (status: UInt, body: String)? {
        var request = HTTPClientRequest(url: url + "/healthz")
        request.method = .GET
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)),
              let body = try? await response.body.collect(upTo: 1 << 20) else { return nil }
        return (response.status.code, String(buffer: body))
    }

    @Test("an index row whose length or checksum was changed is one record_mismatch finding each, and nothing else is reported", .timeLimit(.minutes(4)))
    func alteredIndexRowIsFound() async throws {
        try await withTestCluster(volumeTargetBytes: 128 << 10) { (cluster: ClusterFile) async throws in
            let keys = try await MetadataScannerTests.write(cluster, blocks: 300)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            try await db.query("UPDATE blocks SET length = length + 1 WHERE key = $1", [.bytea(keys[10].bytes)])
            try await db.query("UPDATE blocks SET checksum = checksum # 1 WHERE key = $1", [.bytea(keys[20].bytes)])
            let scanner = try spawnVerifier(cluster, "vigil-metadata-scanner", MetadataScannerTests.scannerArguments(cluster), log: "scanner")
            defer { killProcess(scanner) }
            var found: [String] = []
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                found = try await MetadataScannerTests.openFindings(db, kind: "record_mismatch")
                return found.count == 2
            }, "record_mismatch findings: \(found)")
            #expect(found.contains { $0.contains(keys[10].hex) } && found.contains { $0.contains(keys[20].hex) })
            // A complete pass later, nothing else: no missing block, no second finding for the same row.
            let passes = try await db.query("SELECT count(*) FROM passes WHERE verifier = 'metadata-scanner' AND state = 'complete'").int64(0, 0)
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                try await db.query("SELECT count(*) FROM passes WHERE verifier = 'metadata-scanner' AND state = 'complete'").int64(0, 0) > passes + 1
            })
            let all = try await db.query("SELECT kind, subject FROM findings WHERE verifier = 'metadata-scanner'")
            #expect(all.count == 2, "only the two mismatches: \((0..<all.count).map { all.string($0, 0) + " " + all.string($0, 1) })")
            // Put back, the findings resolve.
            try await db.query("UPDATE blocks SET length = length - 1 WHERE key = $1", [.bytea(keys[10].bytes)])
            try await db.query("UPDATE blocks SET checksum = checksum # 1 WHERE key = $1", [.bytea(keys[20].bytes)])
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                try await MetadataScannerTests.openFindings(db, kind: "record_mismatch").isEmpty
            })
        }
    }

    @Test("a wrong node token is node_unauthorized (never missing or unreachable), /healthz says which token to fix, and the daemon idles", .timeLimit(.minutes(4)))
    func wrongTokenIsUnauthorized() async throws {
        try await withTestCluster(volumeTargetBytes: 128 << 10) { (cluster: ClusterFile) async throws in
            _ = try await MetadataScannerTests.write(cluster, blocks: 200)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let wrongToken = "\(cluster.directory)/wrong-token"
            try "not-the-reader-token\n".write(toFile: wrongToken, atomically: true, encoding: .utf8)
            let arguments = ["--zone", "zone-a", "--database", cluster.zones[0].database, "--node-token-file", wrongToken]
            let scanner = try spawnVerifierServing(cluster, "vigil-metadata-scanner", arguments, log: "scanner-wrong-token")
            defer { killProcess(scanner.pid) }
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                try await db.query(
                    "SELECT 1 FROM findings WHERE verifier = 'metadata-scanner' AND kind = 'node_unauthorized' AND resolved_at IS NULL"
                ).count > 0
            }, "no node_unauthorized finding")
            var health: (status: UInt, body: String)?
            #expect(await eventually(timeout: .seconds(30), interval: .milliseconds(200)) {
                health = await Self.health(scanner.url)
                return health?.status == 503
            }, "healthz did not turn unhealthy: \(String(describing: health))")
            #expect(health?.body.contains("token") == true, "healthz names the token to fix: \(health?.body ?? "")")
            let wrongKinds = try await db.query("""
                SELECT DISTINCT kind FROM findings WHERE verifier = 'metadata-scanner' AND kind IN ('missing', 'only_in_trash', 'node_unreachable', 'record_mismatch')
                """)
            #expect(wrongKinds.count == 0, "a refused credential reported as \((0..<wrongKinds.count).map { wrongKinds.string($0, 0) })")
            // No busy loop: over five seconds the daemon uses well under a tenth of a core.
            let before = try #require(cpuSeconds(scanner.pid))
            let start = ContinuousClock.now
            try await Task.sleep(for: .seconds(5))
            let used = try #require(cpuSeconds(scanner.pid)) - before
            let elapsed = Double((ContinuousClock.now - start).components.seconds)
            #expect(used / elapsed < 0.1, "the scanner used \(used) CPU seconds in \(elapsed) s while refused")
            // No pass completes while nodes refuse it: the gate cannot count it.
            #expect(try await db.query("SELECT 1 FROM passes WHERE verifier = 'metadata-scanner' AND state = 'complete' AND items_checked > 0").count == 0)
        }
    }
}

import Foundation
import Testing
import VigilCore
import VigilDev
import VigilPostgres
import VigilTestSupport
import VigilVerifier
@testable import VigilMetadataScanner

/// The scanner in process against a real zone: replica changes mid-pass are
/// followed without re-reading the whole replica table, and a shutdown mid-check
/// is neither a finding nor a resolution.
@Suite("Scanner under replica changes", .serialized, .timeLimit(.minutes(6)))
struct ScannerReplicaChangeTests {
    static func scanner(_ cluster: ClusterFile) throws -> MetadataScanner {
        var config = MetadataScannerConfig(zone: "zone-a", databaseURL: cluster.zones[0].database, nodeToken: cluster.tokens.reader)
        config.pageSize = 40
        config.replicaCacheAge = .zero  // follow the change log at every step
        return MetadataScanner(config: config, pool: PostgresPool(url: config.databaseURL, size: 2))
    }

    /// One whole pass; `between(n)` runs after step n. Every finding raised.
    static func pass(_ scanner: MetadataScanner, between: (Int) async throws -> Void = { _ in }) async throws -> [Finding] {
        var (cursor, findings): (ScannerCursor?, [Finding]) = (nil, [])
        for n in 0..<1000 {
            let step = try await scanner.step(at: cursor, limiter: SharedRateLimiter(rate: nil))
            findings += step.outcome.findings
            guard let next = step.next else { return findings }
            cursor = next
            try await between(n)
        }
        Issue.record("the pass did not end")
        return findings
    }

    @Test("a replica out for repair and back mid-pass raises nothing; a replica row deleted behind the scanner's back is found; no whole re-read")
    func replicaChangesMidPass() async throws {
        try await withTestCluster(volumeTargetBytes: 32 << 10) { (cluster: ClusterFile) async throws in
            _ = try await MetadataScannerTests.write(cluster, blocks: 200)
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let sealed = try await index.volumes(inState: "sealed").map(\.id)
            try #require(sealed.count >= 2)
            let scanner = try Self.scanner(cluster)
            #expect(try await Self.pass(scanner).isEmpty, "a clean zone")

            let repaired = (sealed[0], try await index.replicas(of: sealed[0])[0].node.id)
            func setState(_ state: String) async throws {
                try await db.query("UPDATE volume_replicas SET state = $3 WHERE volume_id = $1 AND node_id = $2",
                                   [.int64(repaired.0), .int32(Int32(repaired.1)), .text(state)])
            }
            let duringRepair = try await Self.pass(scanner) { n in
                if n == 0 { try await setState("repairing") }
                if n == 2 { try await setState("live") }
            }
            #expect(duringRepair.isEmpty, "\(duringRepair.map(\.subject))")

            let victim = sealed[1]
            let gone = try await index.replicas(of: victim)[0].node.id
            try await db.query("DELETE FROM volume_replicas WHERE volume_id = $1 AND node_id = $2", [.int64(victim), .int32(Int32(gone))])
            let afterDelete = try await Self.pass(scanner)
            #expect(afterDelete.map(\.subject).contains("volume/\(victim)/replicas"), "\(afterDelete.map(\.subject))")
            #expect(await scanner.replicas.wholeReads == 1, "the replica table was read whole once, at start")
        }
    }

    @Test("a step cancelled while a node is silent (shutdown) throws CancellationError and raises nothing")
    func cancelledCheckRaisesNothing() async throws {
        try await withTestCluster { (cluster: ClusterFile) async throws in
            let keys = try await MetadataScannerTests.write(cluster, blocks: 30)
            let scanner = try Self.scanner(cluster)
            // A node the first page's blocks are on: the step must ask it.
            let volume = try #require(try await cluster.index.lookup(keys[0])).volume
            let holder = try #require(try await cluster.index.replicas(of: volume).first).node
            let node = try #require(cluster.zones[0].nodes.first { $0.id == holder.id })
            let silent = cluster.process(named: "zone-a/\(node.name)").pid
            kill(silent, SIGSTOP)
            defer { kill(silent, SIGCONT) }
            let step = Task { try await scanner.step(at: nil, limiter: SharedRateLimiter(rate: nil)) }
            // The node's presence answer can take up to the client's 10 s timeout:
            // cancel well inside it, while the question is outstanding.
            try await Task.sleep(for: .seconds(3))
            step.cancel()
            switch await step.result {
            case .success(let result):
                Issue.record("a cancelled step returned findings \(result.outcome.findings.map(\.subject)) and resolutions \(result.outcome.cleanPrefixes)")
            case .failure(let error):
                #expect(error is CancellationError, "\(error)")
            }
        }
    }
}

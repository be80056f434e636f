import Foundation
import Testing
import VigilCore
import VigilDev
import VigilPostgres
import VigilTestSupport
import VigilTrashInspector
import VigilVerifier

/// The inspector judges a trash extent once while nothing its verdict rests on
/// changes, and again as soon as something does. The inspector runs in this
/// process under the cluster's owner role: the master never unlinks on its
/// inspections, so the same trash stays for pass after pass.
@Suite("Trash inspector judges unchanged trash once", .serialized)
struct TrashInspectorMemoTests {
    typealias Verdicts = TrashInspectorVerdictTests

    /// What one whole pass did: extents counted, bytes downloaded, findings.
    struct PassTotals {
        var items = 0
        var bytes = 0
        var failed: [String] = []
    }

    static func inspector(_ cluster: ClusterFile, rejudgeAfter: Duration? = nil) -> TrashInspector {
        var config = TrashInspectorConfig(
            zone: "zone-a", databaseURL: cluster.zones[0].database, nodeToken: cluster.tokens.reader,
            workDirectory: cluster.directory + "/inspector-in-process")
        config.applyDevProfile()
        if let rejudgeAfter { config.rejudgeAfter = rejudgeAfter }
        return TrashInspector(config: config, pool: PostgresPool(url: cluster.zones[0].database, size: 2))
    }

    /// Runs one pass from its start to its end, as the runner does.
    static func pass(_ inspector: TrashInspector) async throws -> PassTotals {
        let limiter = SharedRateLimiter(rate: nil)
        _ = try await inspector.estimatePass()
        var totals = PassTotals()
        var cursor: TrashCursor?
        while true {
            let step = try await inspector.step(at: cursor, limiter: limiter)
            totals.items += step.outcome.items
            totals.bytes += step.outcome.bytes
            totals.failed += step.outcome.findings.filter { $0.kind == "trash_inspection_failed" }.map(\.subject)
            guard let next = step.next else { return totals }
            cursor = next
        }
    }

    /// A compacted volume whose replicas all lie in trash: (volume, holders, survivors, trash bytes).
    static func trashedVolume(_ cluster: ClusterFile) async throws -> (Int64, [Int], [BlockKey], Int) {
        let frontend = cluster.frontendClient()
        for _ in 0..<150 { _ = try await frontend.put(randomBlock(512...2048)) }
        let volume = try #require(try await cluster.index.volumes(inState: "sealed").first).id
        let survivors = try await Verdicts.collect(cluster, volume)
        let holders = try await cluster.index.replicas(of: volume).map(\.node.id)
        let bytes = try holders.map { try FileStatus.of(path: Verdicts.trashPath(cluster, node: $0, volume)).size }.reduce(0, +)
        return (volume, holders, survivors, Int(bytes))
    }

    @Test("unchanged trash is judged once: a second pass downloads nothing and records nothing; a restart or an index change judges again, without a false finding",
          .timeLimit(.minutes(5)))
    func unchangedTrashIsJudgedOnce() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let (volume, holders, survivors, trashBytes) = try await Self.trashedVolume(cluster)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let inspector = Self.inspector(cluster)

            let first = try await Self.pass(inspector)
            #expect(first.items == holders.count && first.bytes == trashBytes && first.failed.isEmpty, "first pass: \(first)")
            let second = try await Self.pass(inspector)
            #expect(second.items == holders.count && second.bytes == 0 && second.failed.isEmpty, "unchanged: nothing downloaded: \(second)")
            for node in holders {
                let recorded = try await Verdicts.inspections(db, node: node, volume)
                #expect(recorded.passed == 1 && recorded.failed == 0, "node \(node): one pass recorded, none since: \(recorded)")
            }

            // An index change its verdict rests on (a survivor deleted: what GC does) judges every copy again; still a pass.
            try await cluster.frontendClient().delete(try #require(survivors.first))
            let afterDelete = try await Self.pass(inspector)
            #expect(afterDelete.bytes == trashBytes && afterDelete.failed.isEmpty, "re-judged on the index change: \(afterDelete)")
            for node in holders {
                let recorded = try await Verdicts.inspections(db, node: node, volume)
                #expect(recorded.passed == 2 && recorded.failed == 0, "node \(node): \(recorded)")
            }

            // A restart forgets what passed: judged afresh, no false finding.
            let restarted = try await Self.pass(Self.inspector(cluster))
            #expect(restarted.items == holders.count && restarted.bytes == trashBytes && restarted.failed.isEmpty, "after a restart: \(restarted)")
        }
    }

    @Test("trash changed under the same name after it passed is judged again and the damage found; bytes swapped with the modification time put back are found once the verdict is older than rejudgeAfter",
          .timeLimit(.minutes(5)))
    func changedTrashIsJudgedAgain() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let (volume, holders, survivors, _) = try await Self.trashedVolume(cluster)
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let inspector = Self.inspector(cluster, rejudgeAfter: .seconds(3))
            #expect(try await Self.pass(inspector).failed.isEmpty)

            // A byte of a deleted block flipped in place: same name, same size.
            let (damaged, disguised) = (holders[0], holders[1])
            let path = Verdicts.trashPath(cluster, node: damaged, volume)
            let deleted = try #require(try ExtentReader(path: path).footer()?.map(\.key).first { !survivors.contains($0) })
            try Verdicts.flipDataByte(at: path, of: deleted)
            let next = try await Self.pass(inspector)
            #expect(next.failed == ["node/\(damaged)/trash/v\(volume).g1.extent"], "the changed copy fails: \(next)")
            #expect(next.bytes == Int(try FileStatus.of(path: path).size), "only the changed copy is downloaded: \(next)")
            #expect(try await Verdicts.inspections(db, node: damaged, volume).failed == 1)

            // The same damage with the file's modification time put back: the listing
            // looks unchanged, so it is found when the verdict ages past rejudgeAfter.
            let otherPath = Verdicts.trashPath(cluster, node: disguised, volume)
            let modified = try FileManager.default.attributesOfItem(atPath: otherPath)[.modificationDate]
            try Verdicts.flipDataByte(at: otherPath, of: deleted)
            try FileManager.default.setAttributes([.modificationDate: try #require(modified)], ofItemAtPath: otherPath)
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(500)) {
                try await Self.pass(inspector).failed.contains("node/\(disguised)/trash/v\(volume).g1.extent")
            }, "found by the re-judge age")
            #expect(try await Verdicts.inspections(db, node: disguised, volume).failed >= 1)
        }
    }
}

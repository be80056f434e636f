import Foundation
import Testing
import VigilCore
import VigilDev
import VigilLedger
import VigilPostgres
import VigilTestSupport

/// A verifier's credential can ask for a repair, never hold the queue: whatever
/// it writes is a fresh pending request, and the master takes over a running
/// claim stamped in the future (`Schemas/ledger/0004_passes_run_forward.sql`; review 2, D5).
@Suite("Repair queue squatting")
struct RepairQueueSquatTests {
    /// What repro_repair_squat.sh inserted: a running request updated in year 9999.
    static let squat = """
        INSERT INTO repair_queue (volume_id, node_id, generation, reason, requested_by, state, attempts, last_error, created_at, updated_at)
        VALUES ($1, $2, $3, 'squat', $4, 'running', 7, 'held', now() - interval '1 day', '9999-01-01') RETURNING id
        """

    @Test("a verifier's running, future-stamped request is stored pending and fresh; the master claims a future-stamped claim, not a live one",
          .timeLimit(.minutes(2)))
    func squatIsStoredPendingAndFutureClaimsAreTakenOver() async throws {
        try await withMigratedIndex { owner, url in
            let scrubber = try await PostgresConnection.connect(url: DatabaseRole.scrubber.url(url))
            let id = try await scrubber.query(Self.squat, [.int64(3), .int32(2), .int32(1), .text("disk-scrubber")]).int64(0, 0)
            let row = try await owner.query("""
                SELECT state, attempts, last_error IS NULL, extract(epoch FROM clock_timestamp() - created_at)::float8,
                       updated_at = created_at FROM repair_queue WHERE id = $1
                """, [.int64(id)])
            let (attempts, noError, age, updatedWhenCreated) = (try row.int(0, 1), try row.bool(0, 2), try row.float64(0, 3), try row.bool(0, 4))
            #expect(row.string(0, 0) == "pending" && attempts == 0 && noError)
            #expect(age < 60 && updatedWhenCreated, "created and updated now, by the server")

            // A claim left by an older build's squatter (future) and a live master's claim (now).
            try await owner.query("UPDATE repair_queue SET state = 'done' WHERE id = $1", [.int64(id)])
            let future = try await owner.query(Self.squat, [.int64(4), .int32(2), .int32(1), .text("disk-scrubber")]).int64(0, 0)
            try await owner.query("""
                INSERT INTO repair_queue (volume_id, node_id, generation, reason, requested_by, state, updated_at)
                VALUES (5, 2, 1, 'data_crc', 'disk-scrubber', 'running', now())
                """)
            let store = BlockIndex(pool: PostgresPool(url: DatabaseRole.store.url(url), size: 1))
            #expect(try await store.claimRepair()?.id == future, "a claim stamped in the future is nobody's")
            #expect(try await store.claimRepair() == nil, "a claim a live master made just now is left to it")
        }
    }

    @Test("with a squat attempted on a replica, a damaged copy there is still found and repaired", .timeLimit(.minutes(6)))
    func damagedCopyIsRepairedDespiteSquat() async throws {
        try await withTestCluster(verifiers: true) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<300 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let volume = try #require(try await index.volumes(inState: "sealed").first).id
            let replica = try #require(try await index.replicas(of: volume).first { $0.state == "live" })
            let node = cluster.zones[0].nodes.first { $0.id == replica.node.id }!
            let scrubber = try await PostgresConnection.connect(url: cluster.database(as: .scrubber))
            _ = try await scrubber.query(Self.squat, [.int64(volume), .int32(Int32(node.id)), .int32(Int32(replica.generation)), .text("disk-scrubber")])

            // A bit flip in the first record's data: the node's scrubber must find it and the master replace the copy.
            let path = "\(node.dataDirectory)/extents/\(ExtentName(volume: UInt64(volume), generation: UInt32(replica.generation)))"
            try flipFirstRecordDataBit(at: path)

            #expect(try await eventually(timeout: .seconds(180), interval: .milliseconds(500)) {
                try await index.replicas(of: volume).contains { $0.node.id == node.id && $0.state == "live" && $0.generation > replica.generation }
            }, "the damaged copy on \(node.name) was replaced")
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            #expect(try await db.query("""
                SELECT count(*)::int8 FROM repair_queue WHERE volume_id = $1 AND node_id = $2 AND state = 'done'
                """, [.int64(volume), .int32(Int32(node.id))]).int(0, 0) >= 1)
            #expect(try await db.query("SELECT count(*)::int8 FROM repair_queue WHERE updated_at > clock_timestamp() + interval '1 hour'").int(0, 0) == 0)
            // The node's real scrubber still runs and completes passes under the ledger's rules.
            let pass = try await LedgerReader(db).lastCompletePass(.diskScrubber, scope: .node(node.id, in: "zone-a"), startedWithinSeconds: 600)
            #expect(pass != nil, "the scrubber of \(node.name) completed a pass")
        }
    }
}

import Testing
import VigilPostgres
import VigilTestSupport
@testable import VigilMetadataScanner

/// The scanner's volume -> live replicas map follows the index's change log
/// (block-index 0007): every change is seen without re-reading the whole
/// replica table, whatever order its transaction commits in; the whole table
/// is read again only when the log cannot answer.
@Suite("Replica map follows changes", .serialized, .timeLimit(.minutes(3)))
struct ReplicaMapChangeTests {
    /// A zone index with nodes 1-4 and volumes 1 (on 1, 2, 3) and 2 (on 1, 2).
    static func withIndex(_ body: @Sendable (String, PostgresConnection, ReplicaMap) async throws -> Void) async throws {
        try await TestPostgres.shared.withDatabase { url in
            let db = try await PostgresConnection.connect(url: url)
            _ = try await Migrator(set: .blockIndex).migrate(db)
            try await db.query("INSERT INTO nodes (id, name, address) SELECT i, 'n' || i, 'http://127.0.0.1:1' FROM generate_series(1, 4) i")
            try await db.query("INSERT INTO volumes (id, state) VALUES (1, 'sealed'), (2, 'sealed')")
            try await db.query("INSERT INTO volume_replicas (volume_id, node_id) VALUES (1, 1), (1, 2), (1, 3), (2, 1), (2, 2)")
            try await body(url, db, ReplicaMap(pool: PostgresPool(url: url, size: 1), maxAge: .zero))
        }
    }

    static func live(_ map: ReplicaMap, _ volume: Int64) async throws -> [Int]? {
        try await map.lookup([volume])[volume]?.liveNodes
    }

    @Test("a replica added by repair, one deleted behind the map's back and one lost are each seen without a whole read")
    func followsEachChange() async throws {
        try await Self.withIndex { _, db, map in
            #expect(try await Self.live(map, 2) == [1, 2])
            try await db.query("INSERT INTO volume_replicas (volume_id, node_id) VALUES (2, 3)")
            #expect(try await Self.live(map, 2) == [1, 2, 3], "a replica added by repair")
            try await db.query("DELETE FROM volume_replicas WHERE volume_id = 1 AND node_id = 3")
            #expect(try await Self.live(map, 1) == [1, 2], "a replica row deleted behind the scanner's back")
            try await db.query("UPDATE volume_replicas SET state = 'lost' WHERE volume_id = 1 AND node_id = 2")
            #expect(try await Self.live(map, 1) == [1])
            try await db.query("UPDATE volumes SET replication = 2 WHERE id = 1")
            #expect(try await map.lookup([1])[1]?.replication == 2)
            try await db.query("INSERT INTO volumes (id) VALUES (3)")
            try await db.query("INSERT INTO volume_replicas (volume_id, node_id) VALUES (3, 4)")
            #expect(try await Self.live(map, 3) == [4], "a volume created since")
            #expect(await map.wholeReads == 1)
            #expect(await map.changeReads >= 5)
        }
    }

    @Test("a change whose transaction commits after a later one's is still seen")
    func lateCommitIsSeen() async throws {
        try await Self.withIndex { url, db, map in
            #expect(try await Self.live(map, 1) == [1, 2, 3])
            try await db.query("BEGIN")
            try await db.query("INSERT INTO volume_replicas (volume_id, node_id) VALUES (1, 4)")
            try await map.refresh()
            let other = try await PostgresConnection.connect(url: url)
            try await other.query("INSERT INTO volume_replicas (volume_id, node_id) VALUES (2, 4)")
            #expect(try await Self.live(map, 2) == [1, 2, 4])
            #expect(try await Self.live(map, 1) == [1, 2, 3], "not committed yet")
            try await db.query("COMMIT")
            #expect(try await Self.live(map, 1) == [1, 2, 3, 4], "committed after a later transaction")
            #expect(await map.wholeReads == 1)
        }
    }

    @Test("a truncate, or a log pruned past the map's mark, makes the next refresh read the whole table")
    func unusableMarkReadsWhole() async throws {
        try await Self.withIndex { _, db, map in
            #expect(try await Self.live(map, 1) == [1, 2, 3])
            try await db.query("UPDATE volume_changes_pruned SET below = pg_current_xact_id()")
            try await db.query("DELETE FROM volume_changes")
            try await db.query("DELETE FROM volume_replicas WHERE volume_id = 1 AND node_id = 1")
            try await db.query("DELETE FROM volume_changes")  // the log lost this change too
            #expect(try await Self.live(map, 1) == [2, 3])
            #expect(await map.wholeReads == 2)
            try await db.query("TRUNCATE volume_replicas")
            #expect(try await Self.live(map, 1) == [])
            #expect(await map.wholeReads == 3)
        }
    }
}

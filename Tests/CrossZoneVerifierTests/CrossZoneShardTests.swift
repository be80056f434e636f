import Testing
import VigilCore
import VigilPostgres
import VigilTestSupport
import VigilVerifier
@testable import VigilCrossZoneVerifier

/// `--shard I/N`: the cross-zone verifier's shards split the key space of the
/// journal and of every zone; together they check every key exactly once and
/// find exactly what one unsharded verifier finds.
@Suite("Cross-zone shards", .serialized, .timeLimit(.minutes(3)))
struct CrossZoneShardTests {
    /// A journal with 120 file blocks (every fourth missing from the zone) and a
    /// zone with those blocks plus 30 no file references.
    static func withJournalAndZone(_ body: @Sendable (String, String) async throws -> Void) async throws {
        try await TestPostgres.shared.withDatabase { journalURL in
            try await TestPostgres.shared.withDatabase { zoneURL in
                let zoneDB = try await PostgresConnection.connect(url: zoneURL)
                _ = try await Migrator(set: .blockIndex).migrate(zoneDB)
                _ = try await Migrator(set: .fileJournal).migrate(try await PostgresConnection.connect(url: journalURL))
                let journal = FileJournal(pool: PostgresPool(url: journalURL, size: 1))
                let user = try await journal.user(named: "alice", creatingIn: ["zone-a"])
                let keys = (0..<150).map { _ in BlockKey(bytes: (0..<32).map { _ in UInt8.random(in: 0...255) })! }
                for f in 0..<4 {
                    _ = try await journal.recordFile(user: user.id, path: "file-\(f)", size: 0, keys: Array(keys[(f * 30)..<(f * 30 + 30)]))
                }
                for (i, key) in keys.enumerated() where i % 4 != 0 || i >= 120 {
                    try await zoneDB.query("INSERT INTO blocks (key, volume_id, length, checksum) VALUES ($1, 1, 10, 0)", [.bytea(key.bytes)])
                }
                try await body(journalURL, zoneURL)
            }
        }
    }

    /// One whole pass of one shard: the keys it counted and the subjects it found.
    static func pass(_ journalURL: String, _ zoneURL: String, shard: Int, of count: Int) async throws -> (items: Int, subjects: [String]) {
        var config = CrossZoneConfig(journalURL: journalURL, zones: [.init(name: "zone-a", databaseURL: zoneURL)])
        (config.shardIndex, config.shardCount, config.grace, config.pageSize) = (shard, count, .zero, 16)
        let verifier = CrossZoneVerifier(config: config, journal: PostgresPool(url: journalURL, size: 1))
        var cursor: CrossZoneCursor?
        var (items, subjects) = (0, [String]())
        for _ in 0..<1000 {
            let step = try await verifier.step(at: cursor, limiter: SharedRateLimiter(rate: nil))
            items += step.outcome.items
            subjects += step.outcome.findings.map(\.subject)
            guard let next = step.next else { return (items, subjects) }
            cursor = next
        }
        Issue.record("the pass did not end")
        return (items, subjects)
    }

    @Test("two shards together count every journal and zone key exactly once and find what one verifier finds")
    func shardsCoverEveryKeyOnce() async throws {
        try await Self.withJournalAndZone { journalURL, zoneURL in
            let whole = try await Self.pass(journalURL, zoneURL, shard: 0, of: 1)
            #expect(whole.items == 120 + 120)  // 120 file blocks; 90 + 30 zone blocks
            #expect(whole.subjects.filter { $0.contains("/file/") }.count == 30, "every fourth file block is missing in the zone")
            #expect(whole.subjects.filter { !$0.contains("/file/") }.count == 30, "30 zone blocks no file references")
            let first = try await Self.pass(journalURL, zoneURL, shard: 0, of: 2)
            let second = try await Self.pass(journalURL, zoneURL, shard: 1, of: 2)
            #expect(first.items + second.items == whole.items)
            #expect(first.items > 0 && second.items > 0, "random keys fall in both halves")
            #expect(Set(first.subjects).isDisjoint(with: second.subjects))
            #expect(Set(first.subjects).union(second.subjects) == Set(whole.subjects))
            for (index, found) in [first, second].enumerated() {
                let range = KeyRange.shard(index, of: 2)
                #expect(found.subjects.allSatisfy { range.contains(BlockKey(hex: String($0.split(separator: "/")[3]))!) })
            }
        }
    }
}

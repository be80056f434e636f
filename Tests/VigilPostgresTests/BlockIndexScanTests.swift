import Testing
import VigilCore
import VigilPostgres
import VigilTestSupport

@Suite(.timeLimit(.minutes(5))) struct BlockIndexScanTests {
    /// Fills `blocks` with `count` rows whose keys are SHA-256 of 1…count.
    static func fill(_ c: PostgresConnection, count: Int) async throws {
        try await Migrator(set: .blockIndex).migrate(c)
        try await c.query("""
            INSERT INTO blocks (key, volume_id, length, checksum, state)
            SELECT sha256(i::text::bytea), i % 97, i % 4096, i, (i % 10 = 0)::int::int2
            FROM generate_series(1, $1::int8) AS i
            """, [.int64(Int64(count))])
        try await c.simpleQuery("VACUUM ANALYZE blocks")
    }

    @Test("a million-row scan streams every row once, in key order, in bounded memory")
    func millionRowScan() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let setup = try await PostgresConnection.connect(url: url)
            let total = 1_000_000
            try await Self.fill(setup, count: total)

            let scan = BlockIndexScan(connection: try await PostgresConnection.connect(url: url), pageSize: 10_000)
            let baseline = residentBytes()
            var peak = baseline
            var count = 0
            var deleted = 0
            var previous: BlockKey?
            var inOrder = true
            for try await page in scan {
                #expect(page.count <= 10_000)
                for row in page {
                    if let previous, !(previous < row.key) { inOrder = false }
                    previous = row.key
                    if row.state == .deleted { deleted += 1 }
                }
                count += page.count
                peak = max(peak, residentBytes())
            }
            #expect(count == total)
            #expect(inOrder, "keys strictly increase: every row once, in order")
            #expect(deleted == total / 10)
            // Holding the table would take well over 100 MB (rows plus results);
            // the scan holds two pages of 10k rows.
            #expect(peak - baseline < 48 << 20, "resident memory grew by \((peak - baseline) >> 20) MiB")
        }
    }

    @Test func rangeScanStopsAtTheRangeEnd() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await PostgresConnection.connect(url: url)
            try await Self.fill(c, count: 5_000)
            var seen = 0
            for shard in 0..<3 {
                let range = KeyRange.shard(shard, of: 3)
                for try await page in BlockIndexScan(connection: c, range: range, pageSize: 333) {
                    #expect(page.allSatisfy { range.contains($0.key) })
                    seen += page.count
                }
            }
            #expect(seen == 5_000)
        }
    }

    @Test func indexOnlyScanIsWhatPostgresPlans() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let c = try await PostgresConnection.connect(url: url)
            try await Self.fill(c, count: 20_000)
            let plan = try await c.query("""
                EXPLAIN SELECT key, volume_id, length, checksum, state FROM blocks
                WHERE key > '\\x00'::bytea ORDER BY key LIMIT 10000
                """)
            let text = (0..<plan.count).map { plan.string($0, 0) }.joined(separator: "\n")
            #expect(text.contains("Index Only Scan"), "\(text)")
        }
    }
}

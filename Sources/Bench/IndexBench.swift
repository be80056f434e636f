import Foundation
import VigilCore
import VigilDev
import VigilNodeClient
import VigilPostgres

/// A block index of `blocks` rows over 4 real nodes holding every block (R=3):
/// node presence checks, and the metadata scanner against a bare libpq COPY.
enum IndexBench {
    static func run(directory: URL, blocks: Int, presence: Bool, scanner: Bool) async throws {
        let fixture = try await IndexFixture.start(in: directory, blocks: blocks)
        defer { fixture.stop() }
        figure("index_rows", Double(blocks))
        figure("index_load_seconds", fixture.loadSeconds, "s")
        if presence { try await presenceFigures(addresses: fixture.addresses, blocks: blocks, volumes: fixture.volumes, nodesOf: IndexFixture.nodesOf) }
        if scanner { try await scannerFigures(fixture) }
    }

    static func presenceFigures(addresses: [Int: String], blocks: Int, volumes: Int, nodesOf: (Int) -> [Int]) async throws {
        // Batches of 100k keys a node holds, to all 4 nodes at once.
        var perNode: [Int: [(key: BlockKey, volume: UInt64)]] = [:]
        for i in 1...min(blocks, 400_000) {
            let volume = i % volumes + 1
            perNode[nodesOf(volume)[i % 3], default: []].append((BlockKey.of(Array(String(i).utf8)), UInt64(volume)))
        }
        let rounds = 3
        let (present, elapsed) = try await timed {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for (n, pairs) in perNode {
                    group.addTask {
                        let client = NodeClient(address: addresses[n]!, token: "bench-reader")
                        var ok = 0
                        for _ in 0..<rounds {
                            for start in stride(from: 0, to: pairs.count, by: 100_000) {
                                ok += try await client.check(Array(pairs[start..<min(pairs.count, start + 100_000)])).filter { $0 == .present }.count
                            }
                        }
                        return ok
                    }
                }
                return try await group.reduce(0, +)
            }
        }
        let asked = perNode.values.reduce(0) { $0 + $1.count } * rounds
        precondition(present == asked, "presence answered absent for blocks the nodes hold")
        figure("presence_keys_per_s", Double(asked) / elapsed, "keys/s")
    }

    /// The scanner daemon itself, unthrottled, for three whole passes (each
    /// timed by its ledger's start and finish), against a bare libpq COPY of the
    /// same columns, run three times (after a first run that warms the caches
    /// both read through). Medians; this machine is shared and noisy.
    static func scannerFigures(_ fixture: IndexFixture, passes: Int = 3) async throws {
        let baseline = try await PostgresConnection.connect(url: fixture.url)
        let copySQL = "COPY (SELECT key, volume_id, length, checksum, state FROM blocks ORDER BY key) TO STDOUT"
        _ = try await baseline.copyOutDiscarding(copySQL)
        let db = try await PostgresConnection.connect(url: fixture.url)
        let rows = try await db.query("SELECT count(*) FROM blocks").int(0, 0)
        var copyRates: [Double] = [], keysetRates: [Double] = []
        for _ in 0..<passes {
            let ((copied, _), seconds) = try await timed { try await baseline.copyOutDiscarding(copySQL) }
            precondition(copied == rows, "COPY sent \(copied) of \(rows) rows")
            copyRates.append(Double(rows) / seconds)
            let (walked, keysetSeconds) = try await timed { try await keysetScan(baseline) }
            precondition(walked == rows, "the keyset scan read \(walked) of \(rows) rows")
            keysetRates.append(Double(rows) / keysetSeconds)
        }
        let port = try freeLoopbackPort()
        let pid = try Processes.spawn([
            "\(Processes.executableDirectory)/vigil-metadata-scanner", "--zone", "bench", "--database", fixture.url,
            "--node-token-file", fixture.readerTokenFile, "--profile", "dev", "--rate", "1e12", "--port", "\(port)", "--log-level", "warning",
        ], log: fixture.directory.appendingPathComponent("metadata-scanner.log").path)
        defer { kill(pid, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(600)
        while true {
            let done = try await db.query("""
                SELECT items_checked, findings, extract(epoch FROM finished_at - started_at)::float8 FROM passes
                WHERE verifier = 'metadata-scanner' AND state = 'complete' ORDER BY id LIMIT $1
                """, [.int64(Int64(passes))])
            if done.count == passes {
                var scanRates: [Double] = []
                for i in 0..<passes {
                    let (checked, findings, elapsed) = (try done.int(i, 0), try done.int(i, 1), try done.float64(i, 2))
                    precondition(checked == rows && findings == 0, "scanner checked \(checked) of \(rows) rows with \(findings) findings")
                    scanRates.append(Double(checked) / elapsed)
                }
                let (copyRate, scanRate) = (median(copyRates), median(scanRates))
                figure("libpq_copy_rows_per_s", copyRate, "rows/s")
                figure("metadata_scanner_blocks_per_s", scanRate, "blocks/s")
                figure("metadata_scanner_vs_copy_ratio", scanRate / copyRate)
                let keysetRate = median(keysetRates)
                figure("libpq_keyset_scan_rows_per_s", keysetRate, "rows/s")
                figure("metadata_scanner_vs_keyset_scan_ratio", scanRate / keysetRate)
                return
            }
            guard Processes.isAlive(pid), ContinuousClock.now < deadline else {
                throw DevClusterError("the scanner did not complete \(passes) passes; see \(fixture.directory.path)/metadata-scanner.log")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// What the scanner must at least do: walk the table in key order one
    /// page at a time (its page size, keyset pagination on the primary key),
    /// with no decoding and no check. The real ceiling for the scanner; COPY
    /// streams one snapshot and is not a way a resumable sweep can read.
    static func keysetScan(_ connection: PostgresConnection, pageSize: Int = 100_000) async throws -> Int {
        var after: [UInt8] = [], total = 0
        while true {
            let page = try await connection.query("""
                SELECT key, volume_id, length, checksum, state FROM blocks WHERE key > $1 ORDER BY key LIMIT $2
                """, [.bytea(after), .int64(Int64(pageSize))])
            total += page.count
            guard page.count == pageSize else { return total }
            after = page.bytes(page.count - 1, 0)
        }
    }

    static func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
}

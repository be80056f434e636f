import Foundation
import VigilCore
import VigilDev
import VigilMetadataScanner
import VigilNodeClient
import VigilPostgres
import VigilVerifier

/// A block index of `blocks` rows over 4 real nodes holding every block (R=3):
/// node presence checks, and the metadata scanner against a bare libpq COPY.
enum IndexBench {
    static func run(directory: URL, blocks: Int, presence: Bool, scanner: Bool) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let postgres = try PrivatePostgres.start(in: directory.appendingPathComponent("pg"), fast: true)
        var pids: [Int32] = []
        defer {
            for pid in pids { kill(pid, SIGTERM) }
            try? postgres.stop(immediate: true)
        }
        try await postgres.createDatabase("bench")
        let url = postgres.url(database: "bench")
        let db = try await PostgresConnection.connect(url: url)
        try await Migrator(set: .blockIndex).migrate(db)

        // Blocks are the decimal strings 1…N; volume = i mod V + 1; volume v on nodes v, v+1, v+2 (mod 4).
        let volumes = max(1, blocks / 10_000)
        func nodesOf(_ volume: Int) -> [Int] { (0..<3).map { (volume + $0) % 4 + 1 } }
        let (_, load) = try await timed {
            try await db.query("""
                INSERT INTO blocks (key, volume_id, length, checksum, state)
                SELECT sha256(i::text::bytea), i % $2 + 1, length(i::text), 0, 0 FROM generate_series(1, $1::int8) AS i
                """, [.int64(Int64(blocks)), .int64(Int64(volumes))])
            try await db.simpleQuery("VACUUM ANALYZE blocks")
            for v in 1...volumes {
                try await db.query("INSERT INTO volumes (id, state) VALUES ($1, 'sealed')", [.int64(Int64(v))])
            }
        }
        figure("index_rows", Double(blocks))
        figure("index_load_seconds", load, "s")

        // Extents on 4 nodes, written directly in the node format.
        var writers: [Int: [Int: ExtentWriter]] = [:]
        for n in 1...4 {
            let extents = directory.appendingPathComponent("node-\(n)/extents")
            try FileManager.default.createDirectory(at: extents, withIntermediateDirectories: true)
            writers[n] = [:]
        }
        for i in 1...blocks {
            let data = Array(String(i).utf8)
            let key = BlockKey.of(data)
            let volume = i % volumes + 1
            for n in nodesOf(volume) {
                if writers[n]![volume] == nil {
                    let path = directory.appendingPathComponent("node-\(n)/extents/v\(volume).g1.extent").path
                    writers[n]![volume] = try ExtentWriter.create(path: path, header: ExtentHeader(volume: UInt64(volume), generation: 1, createdAtMicros: 0))
                }
                try writers[n]![volume]!.append(key: key, data: data, writtenAtMicros: 0)
            }
        }
        for (_, byVolume) in writers { for (_, w) in byVolume { try w.seal() } }
        writers = [:]
        let tokens = directory.appendingPathComponent("tokens").path
        try "reader:bench-reader\nadmin:bench-admin\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        var addresses: [Int: String] = [:]
        for n in 1...4 {
            let port = try freeLoopbackPort()
            pids.append(try Processes.spawn([
                "\(Processes.executableDirectory)/vigil-node", "--data-dir", directory.appendingPathComponent("node-\(n)").path,
                "--port", "\(port)", "--tokens-file", tokens, "--log-level", "warning",
            ], log: directory.appendingPathComponent("node-\(n).log").path))
            addresses[n] = "http://127.0.0.1:\(port)"
            try await db.query("INSERT INTO nodes (id, name, address) VALUES ($1, $2, $3)", [.int32(Int32(n)), .text("node-\(n)"), .text(addresses[n]!)])
        }
        for v in 1...volumes {
            for n in nodesOf(v) {
                try await db.query("INSERT INTO volume_replicas (volume_id, node_id) VALUES ($1, $2)", [.int64(Int64(v)), .int32(Int32(n))])
            }
        }
        for n in 1...4 {
            let deadline = ContinuousClock.now + .seconds(300)
            while await !NodeClient(address: addresses[n]!, token: "bench-reader").isHealthy() {
                guard ContinuousClock.now < deadline else { throw DevClusterError("node-\(n) did not start") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        if presence { try await presenceFigures(addresses: addresses, blocks: blocks, volumes: volumes, nodesOf: nodesOf) }
        if scanner { try await scannerFigures(url: url, postgres: postgres) }
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

    static func scannerFigures(url: String, postgres: PrivatePostgres) async throws {
        let copyFile = postgres.directory.appendingPathComponent("copy.out").path
        let (_, copy) = try await timed {
            try Command.run(["psql", url, "-q", "-o", copyFile, "-c",
                             "COPY (SELECT key, volume_id, length, checksum, state FROM blocks ORDER BY key) TO STDOUT"])
        }
        try? FileManager.default.removeItem(atPath: copyFile)
        var config = MetadataScannerConfig(zone: "bench", databaseURL: url, nodeToken: "bench-reader")
        config.pageSize = 50_000
        let pool = PostgresPool(url: url, size: 2)
        let scanner = MetadataScanner(config: config, pool: pool)
        let limiter = SharedRateLimiter(rate: nil)
        let rows = try await PostgresConnection.connect(url: url).query("SELECT count(*) FROM blocks").int(0, 0)
        let ((checked, problems), elapsed) = try await timed { () async throws -> (Int, Int) in
            var cursor: [UInt8] = []
            var checked = 0
            var problems = 0
            while true {
                let outcome = try await scanner.step(from: cursor, limiter: limiter)
                checked += outcome.items
                problems += outcome.findings.count
                cursor = outcome.cursor
                if outcome.passComplete { return (checked, problems) }
            }
        }
        precondition(checked == rows && problems == 0, "scanner checked \(checked) of \(rows) rows with \(problems) findings")
        figure("libpq_copy_rows_per_s", Double(rows) / copy, "rows/s")
        figure("metadata_scanner_blocks_per_s", Double(checked) / elapsed, "blocks/s")
        figure("metadata_scanner_vs_copy_ratio", copy / elapsed)
    }
}

import Foundation
import VigilCore
import VigilDev
import VigilNodeClient
import VigilPostgres

/// A zone of `blocks` blocks, built directly rather than through the store so
/// that millions take a minute: a private PostgreSQL with the block index (and,
/// when asked, a File Journal naming every block), and 4 running nodes whose
/// extents hold every block on its volume's 3 replicas.
/// Blocks are the decimal strings 1…N; volume = i mod V + 1 (10,000 blocks a volume);
/// volume v lives on nodes v+1, v+2, v+3 (mod 4, counted from 1).
struct IndexFixture {
    let directory: URL
    let postgres: PrivatePostgres
    let url: String
    let volumes: Int
    var addresses: [Int: String] = [:]
    var pids: [Int32] = []
    let readerTokenFile: String
    var loadSeconds = 0.0

    static func nodesOf(_ volume: Int) -> [Int] { (0..<3).map { (volume + $0) % 4 + 1 } }
    func nodeDirectory(_ n: Int) -> String { directory.appendingPathComponent("node-\(n)").path }

    static func start(in directory: URL, blocks: Int, journal: Bool = false) async throws -> IndexFixture {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // Buffers that hold the whole index, as a production index server's would.
        let postgres = try PrivatePostgres.start(in: directory.appendingPathComponent("pg"), fast: true, settings: ["shared_buffers": "1GB"])
        try await postgres.createDatabase("bench")
        let readerTokenFile = directory.appendingPathComponent("reader-token").path
        try "bench-reader\n".write(toFile: readerTokenFile, atomically: true, encoding: .utf8)
        var fixture = IndexFixture(
            directory: directory, postgres: postgres, url: postgres.url(database: "bench"), volumes: max(1, blocks / 10_000),
            readerTokenFile: readerTokenFile)
        do {
            try await fixture.build(blocks: blocks, journal: journal)
        } catch {
            fixture.stop()
            throw error
        }
        return fixture
    }

    func stop() {
        for pid in pids { kill(pid, SIGTERM) }
        try? postgres.stop(immediate: true)
    }

    private mutating func build(blocks: Int, journal: Bool) async throws {
        let db = try await PostgresConnection.connect(url: url)
        try await Migrator(set: .blockIndex).migrate(db)
        let volumes = self.volumes
        (_, loadSeconds) = try await timed {
            try await Self.loadBlocks(db, blocks: blocks, volumes: volumes)
            try await db.simpleQuery("VACUUM ANALYZE blocks")
            try await db.query("INSERT INTO volumes (id, state) SELECT v, 'sealed' FROM generate_series(1, $1::int8) AS v", [.int64(Int64(volumes))])
        }
        if journal { try await buildJournal(blocks: blocks) }
        try writeExtents(blocks: blocks)
        let tokens = directory.appendingPathComponent("tokens").path
        try "reader:bench-reader\nadmin:bench-admin\n".write(toFile: tokens, atomically: true, encoding: .utf8)
        for n in 1...4 {
            let port = try freeLoopbackPort()
            pids.append(try Processes.spawn([
                "\(Processes.executableDirectory)/vigil-node", "--data-dir", nodeDirectory(n),
                "--port", "\(port)", "--tokens-file", tokens, "--log-level", "warning",
            ], log: directory.appendingPathComponent("node-\(n).log").path))
            addresses[n] = "http://127.0.0.1:\(port)"
            try await db.query("INSERT INTO nodes (id, name, address) VALUES ($1, $2, $3)", [.int32(Int32(n)), .text("node-\(n)"), .text(addresses[n]!)])
        }
        for slot in 0..<3 {
            try await db.query("""
                INSERT INTO volume_replicas (volume_id, node_id) SELECT v, (v + $2) % 4 + 1 FROM generate_series(1, $1::int8) AS v
                """, [.int64(Int64(volumes)), .int64(Int64(slot))])
        }
        for n in 1...4 {
            let deadline = ContinuousClock.now + .seconds(300)
            while await !NodeClient(address: addresses[n]!, token: "bench-reader").isHealthy() {
                guard ContinuousClock.now < deadline else { throw DevClusterError("node-\(n) did not start; see \(directory.path)/node-\(n).log") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Index rows for blocks 1…N with their real length and CRC32C (the scanner
    /// compares both with the records the nodes hold), in key order, loaded in
    /// chunks of packed rows: key (32) | CRC32C (4, big-endian) | length (4, big-endian).
    static func loadBlocks(_ db: PostgresConnection, blocks: Int, volumes: Int) async throws {
        var rows: [(key: BlockKey, crc: UInt32, length: UInt32, volume: Int)] = []
        rows.reserveCapacity(blocks)
        for i in 1...blocks {
            let data = Array(String(i).utf8)
            rows.append((BlockKey.of(data), CRC32C.checksum(data), UInt32(data.count), i % volumes + 1))
        }
        rows.sort { $0.key < $1.key }
        for start in stride(from: 0, to: rows.count, by: 250_000) {
            let chunk = rows[start..<min(rows.count, start + 250_000)]
            var packed: [UInt8] = []
            packed.reserveCapacity(chunk.count * 48)
            for row in chunk {
                packed += row.key.bytes
                withUnsafeBytes(of: row.crc.bigEndian) { packed += $0 }
                withUnsafeBytes(of: row.length.bigEndian) { packed += $0 }
                withUnsafeBytes(of: Int64(row.volume).bigEndian) { packed += $0 }
            }
            try await db.query("""
                INSERT INTO blocks (key, volume_id, length, checksum, state)
                SELECT substring($1 FROM i * 48 + 1 FOR 32),
                       ('x' || encode(substring($1 FROM i * 48 + 41 FOR 8), 'hex'))::bit(64)::int8,
                       ('x' || encode(substring($1 FROM i * 48 + 37 FOR 4), 'hex'))::bit(32)::int4,
                       ('x' || encode(substring($1 FROM i * 48 + 33 FOR 4), 'hex'))::bit(32)::int4, 0
                FROM generate_series(0, length($1) / 48 - 1) AS i
                """, [.bytea(packed)])
        }
    }

    /// Extents on the 4 nodes, written directly in the node format.
    private func writeExtents(blocks: Int) throws {
        var writers: [Int: [Int: ExtentWriter]] = [:]
        for n in 1...4 {
            try FileManager.default.createDirectory(atPath: nodeDirectory(n) + "/extents", withIntermediateDirectories: true)
            writers[n] = [:]
        }
        for i in 1...blocks {
            let data = Array(String(i).utf8)
            let key = BlockKey.of(data)
            let volume = i % volumes + 1
            for n in Self.nodesOf(volume) {
                if writers[n]![volume] == nil {
                    let path = nodeDirectory(n) + "/extents/v\(volume).g1.extent"
                    writers[n]![volume] = try ExtentWriter.create(path: path, header: ExtentHeader(volume: UInt64(volume), generation: 1, createdAtMicros: 0))
                }
                try writers[n]![volume]!.append(key: key, data: data, writtenAtMicros: 0)
            }
        }
        for (_, byVolume) in writers { for (_, w) in byVolume { try w.seal() } }
    }

    /// A File Journal (database `journal`) with one user in this zone and files of 10 blocks naming every block.
    private func buildJournal(blocks: Int) async throws {
        try await postgres.createDatabase("journal")
        let db = try await PostgresConnection.connect(url: postgres.url(database: "journal"))
        try await Migrator(set: .fileJournal).migrate(db)
        try await db.simpleQuery("INSERT INTO users (id, name, zones) VALUES (1, 'bench', '{bench}')")
        try await db.query("""
            INSERT INTO files (id, user_id, path, size_bytes) SELECT f, 1, 'file-' || f, 0 FROM generate_series(1, $1::int8) AS f
            """, [.int64(Int64((blocks + 9) / 10))])
        try await db.query("""
            INSERT INTO file_blocks (file_id, position, key) SELECT (i - 1) / 10 + 1, (i - 1) % 10, sha256(i::text::bytea) FROM generate_series(1, $1::int8) AS i
            """, [.int64(Int64(blocks))])
        try await db.simpleQuery("VACUUM ANALYZE file_blocks")
    }
}

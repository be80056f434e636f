import ArgumentParser
import Foundation
import VigilCore
import VigilFrontendClient
import VigilPostgres

struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write random blocks through a frontend, in parallel, with progress and a throughput summary.")
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var access: FrontendTokenOptions
    @Option(help: "How many blocks to write. No file references them: the cross-zone verifier reports each as unreferenced_in_zone (use --files for data that verifies clean).") var blocks = 1000
    @Option(name: .customLong("min-size"), help: "Smallest block in bytes.") var minSize = 1
    @Option(name: .customLong("max-size"), help: "Largest block in bytes.") var maxSize = 64 << 10
    @Option(help: "Writes in flight at once.") var concurrency = 16
    @Option(help: "Write the keys written, one per line, to this file.") var keys: String?
    @Option(help: "Instead of bare blocks, write this many files for generated users across zones, recorded in the File Journal.") var files: Int?
    @Option(help: "Users the files are spread over (with --files).") var users = 4

    func validate() throws {
        guard blocks > 0, minSize > 0, maxSize >= minSize, maxSize <= 4 << 20, concurrency > 0 else {
            throw ValidationError("need --blocks > 0, 0 < --min-size <= --max-size <= 4 MiB, --concurrency > 0")
        }
    }

    func run() async throws {
        if let files { return try await loadFiles(files) }
        let client = try cluster.frontend(token: try access.token(try cluster.load(), role: \.write))
        let progress = Progress(total: blocks, label: "blocks")
        let written = try await LoadRunner.write(
            blocks: blocks, sizes: minSize...maxSize, concurrency: concurrency, client: client) { progress.advance(bytes: $0) }
        progress.finish()
        if let keys { try written.map(\.hex).joined(separator: "\n").appending("\n").write(toFile: keys, atomically: true, encoding: .utf8) }
    }
}

extension Load {
    /// Files of random sizes for generated users, `concurrency` at a time: each
    /// file's blocks in every zone of its user, then the file in the File
    /// Journal, so the cross-zone verifier finds every block referenced.
    /// Generated users live in all zones, or in one each, by turns.
    func loadFiles(_ count: Int) async throws {
        let file = try cluster.load()
        let token = try access.token(file, role: \.write)
        let journal = FileJournal(pool: PostgresPool(url: file.journalDatabase, size: min(concurrency, 8)))
        var owners: [JournalUser] = []
        for u in 0..<users {
            let zones = u % 2 == 0 ? file.zones.map(\.name) : [file.zones[u % file.zones.count].name]
            owners.append(try await journal.user(named: "user-\(u)", creatingIn: zones))
        }
        let progress = Progress(total: count, label: "files")
        let sizes = minSize...maxSize
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<count {
                if i >= concurrency { try await group.next() }
                let owner = owners[i % owners.count]
                group.addTask {
                    let data = randomBytes(Int.random(in: sizes))
                    let keys = try await FileWriter.write(data, blockSize: 64 << 10, zones: owner.zones, cluster: file, token: token)
                    _ = try await journal.recordFile(user: owner.id, path: "file-\(i)-\(UUID().uuidString.prefix(8))", size: Int64(data.count), keys: keys)
                    progress.advance(bytes: data.count)
                }
            }
            try await group.waitForAll()
        }
        progress.finish()
    }
}

/// Writes random blocks with bounded concurrency; returns their keys.
enum LoadRunner {
    static func write(
        blocks: Int, sizes: ClosedRange<Int>, concurrency: Int, client: FrontendClient, onWritten: @escaping @Sendable (Int) -> Void
    ) async throws -> [BlockKey] {
        try await withThrowingTaskGroup(of: BlockKey.self) { group in
            var keys: [BlockKey] = []
            keys.reserveCapacity(blocks)
            var next = 0
            func add() {
                group.addTask {
                    let data = randomBytes(Int.random(in: sizes))
                    let result = try await client.put(data)
                    onWritten(data.count)
                    return BlockKey(hex: result.key)!
                }
            }
            while next < min(concurrency, blocks) { add(); next += 1 }
            while let key = try await group.next() {
                keys.append(key)
                if next < blocks { add(); next += 1 }
            }
            return keys
        }
    }
}

/// `count` random bytes, eight at a time.
func randomBytes(_ count: Int) -> [UInt8] {
    var data = [UInt8](repeating: 0, count: count)
    for i in stride(from: 0, to: count, by: 8) {
        withUnsafeBytes(of: UInt64.random(in: 0...UInt64.max)) { r in
            for j in 0..<min(8, count - i) { data[i + j] = r[j] }
        }
    }
    return data
}

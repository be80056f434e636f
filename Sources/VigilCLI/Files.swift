import ArgumentParser
import Foundation
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres

struct PutFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "put-file",
        abstract: "Store a file for a user: its blocks in every zone of the user, then the file in the File Journal.")
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var access: FrontendTokenOptions
    @Option(help: "The user (created on first use).") var user: String
    @Option(help: "Zones of a new user, comma-separated (default: every zone of the cluster).") var zones: String?
    @Option(name: .customLong("block-size"), help: "Bytes per block (default 4 MiB).") var blockSize = 4 << 20
    @Option(help: "Name to record the file under (default: PATH).") var name: String?
    @Argument(help: "The file to store.") var path: String

    func run() async throws {
        let file = try cluster.load()
        let data = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let journal = FileJournal(pool: PostgresPool(url: file.journalDatabase, size: 1))
        let owner = try await journal.user(named: user, creatingIn: zones?.split(separator: ",").map(String.init) ?? file.zones.map(\.name))
        let keys = try await FileWriter.write(data, blockSize: blockSize, zones: owner.zones, cluster: file, token: try access.token(file, role: \.write))
        let id = try await journal.recordFile(user: owner.id, path: name ?? path, size: Int64(data.count), keys: keys)
        print("file \(id): \(keys.count) blocks in \(owner.zones.joined(separator: ", "))")
    }
}

struct GetFile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-file", abstract: "Read a user's file back from its first zone that serves it, every block verified.")
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var access: FrontendTokenOptions
    @Option(help: "The user.") var user: String
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?
    @Argument(help: "The file's name in the journal.") var path: String

    func run() async throws {
        let file = try cluster.load()
        let journal = FileJournal(pool: PostgresPool(url: file.journalDatabase, size: 1))
        guard let entry = try await journal.file(user: user, path: path) else { throw CLIError("no file \(path) for user \(user)") }
        var out = [UInt8]()
        out.reserveCapacity(Int(entry.size))
        for key in entry.keys {
            out += try await FileWriter.read(key, zones: entry.zones, cluster: file, token: try access.token(file, role: \.read))
        }
        guard out.count == entry.size else { throw CLIError("read \(out.count) bytes, the journal says \(entry.size)") }
        if let output { try Data(out).write(to: URL(fileURLWithPath: output)) } else { FileHandle.standardOutput.write(Data(out)) }
    }
}

/// Splits files into blocks and moves them through the zones' frontends.
enum FileWriter {
    static func write(_ data: [UInt8], blockSize: Int, zones: [String], cluster: ClusterFile, token: String) async throws -> [BlockKey] {
        var keys: [BlockKey] = []
        for start in stride(from: 0, to: max(data.count, 1), by: blockSize) {
            let block = Array(data[start..<min(data.count, start + blockSize)])
            var key: BlockKey?
            for zone in zones {
                let result = try await FrontendClient(address: try cluster.zone(zone).frontend, token: token).put(block)
                key = BlockKey(hex: result.key)
            }
            keys.append(key!)
        }
        return keys
    }

    static func read(_ key: BlockKey, zones: [String], cluster: ClusterFile, token: String) async throws -> [UInt8] {
        var problems: [String] = []
        for zone in zones {
            do {
                if case .found(let data) = try await FrontendClient(address: try cluster.zone(zone).frontend, token: token).get(key), BlockKey.of(data) == key {
                    return data
                }
                problems.append("\(zone): not served")
            } catch {
                problems.append("\(zone): \(error)")
            }
        }
        throw CLIError("block \(key) could not be read: \(problems.joined(separator: "; "))")
    }
}

import ArgumentParser
import Foundation
import VigilCore
import VigilFrontendClient

struct Put: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Store one block (a file, or - for standard input); prints its key.")
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var access: FrontendTokenOptions
    @Argument(help: "File to store as one block (at most 4 MiB), or - for standard input.") var path: String

    func run() async throws {
        let data = path == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: path))
        let result = try await cluster.frontend(token: try access.token(try cluster.load(), role: \.write)).put(Array(data))
        print(result.key)
    }
}

struct Get: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Read one block by key, verified, to a file or standard output.")
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var access: FrontendTokenOptions
    @Argument(help: "The block's key: 64 hexadecimal digits.") var key: String
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

    func run() async throws {
        guard let blockKey = BlockKey(hex: key) else { throw ValidationError("a key is 64 hexadecimal digits") }
        switch try await cluster.frontend(token: try access.token(try cluster.load(), role: \.read)).get(blockKey) {
        case .notFound:
            throw CLIError("no block \(key) in this zone")
        case .deleted:
            throw CLIError("block \(key) was deleted")
        case .found(let data):
            guard BlockKey.of(data) == blockKey else { throw CLIError("the frontend returned data that does not hash to \(key)") }
            if let output {
                try Data(data).write(to: URL(fileURLWithPath: output))
            } else {
                FileHandle.standardOutput.write(Data(data))
            }
        }
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

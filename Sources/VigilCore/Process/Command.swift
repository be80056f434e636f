import Foundation

/// Runs a program to completion and returns its output: for dev tooling that
/// drives other programs (initdb, pg_ctl), never for anything on a data path.
public enum Command {
    public struct Failure: Error, CustomStringConvertible {
        public var command: String
        public var status: Int32
        public var output: String
        public var description: String {
            "\(command) exited with status \(status): \(output.suffix(2000))"
        }
    }

    /// Runs `arguments[0]` (a path, or a name looked up on PATH) with the rest as arguments.
    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String]? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw Failure(command: arguments.joined(separator: " "), status: process.terminationStatus, output: text)
        }
        return text
    }

    /// True when running as root (initdb and postgres then run as `postgres`).
    public static var isRoot: Bool { getuid() == 0 }
}

import Foundation

/// Runs a program to completion and returns its output: for dev tooling that
/// drives other programs (initdb, pg_ctl), never for anything on a data path.
///
/// Uses posix_spawn and waitpid directly; output goes through a temporary file,
/// so a daemon the program leaves behind cannot hold a pipe open.
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
    public static func run(_ arguments: [String]) throws -> String {
        precondition(!arguments.isEmpty)
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cmd-\(UUID().uuidString)").path
        defer { unlink(outputPath) }
        let status = try spawnAndWait(arguments, outputPath: outputPath)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw Failure(command: arguments.joined(separator: " "), status: status, output: output)
        }
        return output
    }

    /// Runs a program and returns its exit status and output, whatever the status.
    public static func runStatus(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-cmd-\(UUID().uuidString)").path
        defer { unlink(outputPath) }
        let status = try spawnAndWait(arguments, outputPath: outputPath)
        return (status, (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")
    }

    private static func spawnAndWait(_ arguments: [String], outputPath: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw Failure(command: arguments.joined(separator: " "), status: -1, output: String(cString: strerror(spawned)))
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw Failure(command: arguments[0], status: -1, output: "waitpid failed") }
        }
        // WIFEXITED / WEXITSTATUS, spelled out: the macros are not imported.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// True when running as root (initdb and postgres then run as `postgres`).
    public static var isRoot: Bool { getuid() == 0 }
}

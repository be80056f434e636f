import Foundation
import Testing
import VigilCore
import VigilDev

/// The nine daemons, as an operator starts them: one configuration reader, so
/// one behaviour for a wrong config file and for secrets.
@Suite(.timeLimit(.minutes(3))) struct DaemonConfigurationTests {
    static let daemons = [
        "vigil-node", "vigil-frontend", "vigil-master", "vigil-disk-scrubber", "vigil-metadata-scanner",
        "vigil-storage-watcher", "vigil-cross-zone-verifier", "vigil-trash-inspector", "vigil-extent-referee",
    ]

    func run(_ daemon: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try Command.runStatus(["\(Processes.executableDirectory)/\(daemon)"] + arguments)
    }

    @Test("every daemon refuses a config file with an unknown key, naming it, before it starts anything", arguments: daemons)
    func unknownKeyRefused(daemon: String) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-config-\(UUID().uuidString).json").path
        try #"{"prot": 7101}"#.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run(daemon, ["--config", path])
        #expect(result.status != 0)
        #expect(result.output.contains("config file \(path): unknown setting \"prot\""), "\(daemon): \(result.output)")
    }

    @Test("every daemon says which file it cannot read and which value is wrong", arguments: daemons)
    func unreadableFileAndBadValue(daemon: String) throws {
        let missing = try run(daemon, ["--config", "/nonexistent/vigil.json"])
        #expect(missing.status != 0 && missing.output.contains("cannot read config file /nonexistent/vigil.json"), "\(daemon): \(missing.output)")
        let level = try run(daemon, ["--log-level", "loud"])
        #expect(level.status != 0 && level.output.contains("log-level must be trace, debug, info"), "\(daemon): \(level.output)")
    }

    @Test("no daemon takes a secret on its command line: tokens and keys only through files or the environment", arguments: daemons)
    func noSecretOptions(daemon: String) throws {
        let help = try run(daemon, ["--help"])
        #expect(help.status == 0)
        let options = help.output.split(whereSeparator: { !"abcdefghijklmnopqrstuvwxyz-".contains($0) }).filter { $0.hasPrefix("--") }
        let secretOptions = options.filter { ($0.contains("token") || $0.contains("key") || $0.contains("password")) && !$0.hasSuffix("-file") }
        #expect(secretOptions.isEmpty, "\(daemon) takes \(secretOptions) on its command line")
        #expect(help.output.contains("--config") && help.output.contains("--log-level") && help.output.contains("--port"))
    }
}

import Foundation
import Testing
import VigilCore
import VigilDev
import VigilTestSupport

/// Every command finds its cluster the same way: `--cluster FILE`, `--dir D`
/// (what `vigil dev up --dir D` made), or `.vigil/cluster.json` by default.
@Suite("Cluster options")
struct ClusterOptionsTests {
    static let vigil = "\(Processes.executableDirectory)/vigil"

    /// A cluster file with no processes, whose PostgreSQL URL names `marker`.
    static func writeClusterFile(in directory: String, marker: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let json = """
            {"directory": "\(directory)", "profile": "dev", "kafka": "127.0.0.1:1",
             "postgres": {"directory": "\(directory)/postgres", "port": 1, "url": "postgresql://\(marker)@127.0.0.1:1/postgres"},
             "journalDatabase": "postgresql://\(marker)@127.0.0.1:1/journal",
             "tokens": {"reader": "r", "admin": "a", "readerFile": "rf", "adminFile": "af", "tokensFile": "tf"},
             "zones": [{"name": "zone-a", "database": "postgresql://\(marker)@127.0.0.1:1/zone_a", "frontend": "http://127.0.0.1:1",
                        "master": "http://127.0.0.1:1", "nodes": []}],
             "processes": []}
            """
        try json.write(toFile: DevCluster.clusterPath(directory), atomically: true, encoding: .utf8)
    }

    @Test("--dir D and --cluster D/cluster.json name the same cluster; with neither, .vigil/cluster.json", .timeLimit(.minutes(2)))
    func bothFormsAndTheDefault() throws {
        let root = try makeTemporaryDirectory("vigil-options")
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.writeClusterFile(in: "\(root.path)/mine", marker: "mine")
        try Self.writeClusterFile(in: "\(root.path)/.vigil", marker: "default")

        let byDir = try Command.run([Self.vigil, "dev", "status", "--dir", "\(root.path)/mine"])
        let byFile = try Command.run([Self.vigil, "dev", "status", "--cluster", "\(root.path)/mine/cluster.json"])
        #expect(byDir.contains("postgresql://mine@"))
        #expect(byDir == byFile)

        // From the directory `vigil dev up` was run in, no option at all.
        let byDefault = try Command.run(["env", "-C", root.path, Self.vigil, "dev", "status"])
        #expect(byDefault.contains("postgresql://default@"))
        #expect(!byDefault.contains("mine"))
    }

    @Test("a missing cluster is a clear error naming the file; --cluster with --dir is refused", .timeLimit(.minutes(2)))
    func missingAndConflicting() throws {
        let root = try makeTemporaryDirectory("vigil-options")
        defer { try? FileManager.default.removeItem(at: root) }
        let missing = try Command.runStatus([Self.vigil, "status", "--dir", "\(root.path)/nothing"])
        #expect(missing.status != 0)
        #expect(missing.output.contains("no cluster at \(root.path)/nothing/cluster.json: run `vigil dev up` or pass --cluster FILE / --dir D"))

        let byDefault = try Command.runStatus(["env", "-C", root.path, Self.vigil, "findings", "list"])
        #expect(byDefault.status != 0)
        #expect(byDefault.output.contains("no cluster at .vigil/cluster.json"))

        try Self.writeClusterFile(in: "\(root.path)/c", marker: "c")
        let both = try Command.runStatus([Self.vigil, "dev", "status", "--dir", "\(root.path)/c", "--cluster", "\(root.path)/c/cluster.json"])
        #expect(both.status != 0)
        #expect(both.output.contains("give --cluster FILE or --dir D, not both"))
    }

    @Test("every command that takes a cluster takes --dir and says which cluster is missing", .timeLimit(.minutes(3)))
    func everyCommandTakesDir() throws {
        let root = try makeTemporaryDirectory("vigil-options")
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = "\(root.path)/absent"
        let key = String(repeating: "ab", count: 32)
        let payload = "\(root.path)/payload"
        try "hello".write(toFile: payload, atomically: true, encoding: .utf8)
        let commands: [[String]] = [
            ["status"], ["findings", "list"], ["findings", "show", "1"], ["findings", "resolve", "1", "--note", "x"],
            ["gate"], ["load", "--blocks", "1"], ["load", "--files", "1"], ["put", payload], ["get", key],
            ["put-file", "--user", "u", payload], ["get-file", "--user", "u", "f"], ["drain", "1"],
            ["trash", "restore", "--node", "1", "--volume", "1"], ["nodes", "list"], ["nodes", "add", "--id", "1", "--name", "n", "--address", "http://x"],
            ["zone", "show"], ["zone", "configure", "--zone", "zone-a"], ["migrate"], ["migrate", "--schema", "file-journal"],
            ["nodes", "retire", "1", "--dead"], ["drt"], ["chaos"], ["durability"],
            ["dev", "status"], ["dev", "down"], ["dev", "prometheus-config"],
        ]
        for command in commands {
            let result = try Command.runStatus([Self.vigil] + command + ["--dir", dir])
            #expect(result.status != 0, "\(command) succeeded without a cluster")
            #expect(result.output.contains("no cluster at \(dir)/cluster.json"), "vigil \(command.joined(separator: " ")) --dir: \(result.output)")
        }
    }
}

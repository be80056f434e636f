import Foundation
import Testing
import VigilCore
import VigilDev
import VigilTestSupport

/// A data directory records which node it belongs to; the node and the
/// verifiers that read it (real executables) refuse another node's directory.
@Suite(.timeLimit(.minutes(3))) struct NodeIdentityTests {
    let directory: String
    let dataDirectory: String

    init() throws {
        directory = try makeTemporaryDirectory("vigil-identity").path
        dataDirectory = directory + "/node-2"
    }

    /// Starts `daemon`, waits for it to exit (or for `until` to show in its
    /// log, then stops it), and returns whether it exited on its own and its log.
    func run(_ daemon: String, _ arguments: [String], until: String? = nil) async throws -> (exited: Bool, log: String) {
        let log = "\(directory)/\(daemon)-\(UUID().uuidString).log"
        let pid = try Processes.spawn(
            ["\(Processes.executableDirectory)/\(daemon)"] + arguments, log: log,
            environment: ["VIGIL_NODE_READER_TOKEN": "reader-identity", "VIGIL_NODE_ADMIN_TOKEN": "admin-identity"])
        let output = { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
        let done = await eventually(timeout: .seconds(60)) {
            Processes.reap(pid)
            return !Processes.isAlive(pid) || until.map { output().contains($0) } == true
        }
        let exited = !Processes.isAlive(pid)
        await Processes.terminate(pid)
        #expect(done, "\(daemon) neither exited nor logged \(until ?? "-"): \(output())")
        return (exited, output())
    }

    func node(zone: String, id: Int) async throws -> (exited: Bool, log: String) {
        try await run("vigil-node", [
            "--zone", zone, "--node-id", "\(id)", "--data-dir", dataDirectory, "--port", "\(try freeLoopbackPort())",
        ], until: "indexed data directory")
    }

    func verifierArguments(node id: Int) throws -> [String] {
        ["--zone", "zone-a", "--node-id", "\(id)", "--data-dir", dataDirectory,
         "--database", "postgresql://vigil@127.0.0.1:1/nowhere", "--port", "\(try freeLoopbackPort())"]
    }

    @Test("a node records its identity on first start, starts again as itself, and refuses another node's directory")
    func nodeRefusesForeignDirectory() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try await node(zone: "zone-a", id: 2)
        #expect(!first.exited)
        #expect(try NodeIdentity.recorded(in: dataDirectory) == NodeIdentity(zone: "zone-a", nodeID: 2))
        let again = try await node(zone: "zone-a", id: 2)
        #expect(!again.exited)

        let foreign = try await node(zone: "zone-a", id: 1)
        #expect(foreign.exited)
        #expect(foreign.log.contains("belongs to zone-a/node-2 (node-identity.json), not zone-a/node-1"), "\(foreign.log)")
        #expect(!foreign.log.contains("indexed data directory"))
        let otherZone = try await node(zone: "zone-b", id: 2)
        #expect(otherZone.exited && otherZone.log.contains("not zone-b/node-2"), "\(otherZone.log)")
        #expect(try NodeIdentity.recorded(in: dataDirectory) == NodeIdentity(zone: "zone-a", nodeID: 2))
    }

    @Test("a node refuses --zone without --node-id, and an identity file it cannot parse")
    func nodeRefusesHalfAnIdentityAndGarbage() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let half = try await run("vigil-node", ["--zone", "zone-a", "--data-dir", dataDirectory, "--port", "\(try freeLoopbackPort())"])
        #expect(half.exited && half.log.contains("give both --zone and --node-id"), "\(half.log)")
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try "{\"zone\": \"zone-a\"".write(toFile: NodeIdentity.path(in: dataDirectory), atomically: true, encoding: .utf8)
        let garbage = try await node(zone: "zone-a", id: 2)
        #expect(garbage.exited && garbage.log.contains("is not a node identity"), "\(garbage.log)")
    }

    @Test("the disk scrubber and extent referee refuse a --node-id the data directory does not belong to",
          arguments: ["vigil-disk-scrubber", "vigil-extent-referee"])
    func verifierRefusesMismatch(daemon: String) async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try NodeIdentity(zone: "zone-a", nodeID: 2).claim(dataDirectory: dataDirectory)
        let result = try await run(daemon, try verifierArguments(node: 1))
        #expect(result.exited)
        #expect(result.log.contains("belongs to zone-a/node-2 (node-identity.json), not zone-a/node-1"), "\(result.log)")
    }

    @Test("the disk scrubber and extent referee warn once about a data directory with no identity instead of refusing it",
          arguments: ["vigil-disk-scrubber", "vigil-extent-referee"])
    func verifierWarnsWithoutMarker(daemon: String) async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: dataDirectory + "/extents", withIntermediateDirectories: true)
        let warning = "has no node-identity.json: cannot confirm it is zone-a/node-1's"
        let result = try await run(daemon, try verifierArguments(node: 1), until: warning)
        #expect(result.log.contains(warning), "\(result.log)")
        #expect(!result.log.contains("belongs to"))
        #expect(result.log.components(separatedBy: warning).count == 2, "warned more than once: \(result.log)")
    }
}

import Foundation
import Testing
import VigilCore
import VigilDev
import VigilTestSupport

/// `vigil status --json`, as the test reads it.
struct StatusJSON: Decodable {
    struct Daemon: Decodable { var name: String; var state: String }
    struct Scope: Decodable {
        var verifier: String
        var scope: String
        var complete_passes: Int
        var last_complete_pass: Date?
        var next_due: Date?
        var overdue: Bool
        var open_findings: [String: Int]
    }
    struct Database: Decodable { var name: String; var profile: String; var scopes: [Scope]; var open_findings: [String: Int] }
    var daemons: [Daemon]
    var databases: [Database]

    var scopes: [Scope] { databases.flatMap(\.scopes) }
    func scope(_ verifier: String, where match: (Scope) -> Bool = { _ in true }) -> Scope? {
        scopes.first { $0.verifier == verifier && match($0) }
    }
}

@Suite("vigil status", .serialized)
struct StatusTests {
    static let expected: Set<String> = ["disk-scrubber", "extent-referee", "metadata-scanner", "trash-inspector", "storage-watcher", "cross-zone-verifier"]

    static func status(_ cluster: ClusterFile, json: Bool = true) throws -> String {
        try Command.run(["\(Processes.executableDirectory)/vigil", "status", "--dir", cluster.directory] + (json ? ["--json"] : []))
    }

    static func report(_ cluster: ClusterFile) throws -> StatusJSON {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            return try Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
        }
        return try decoder.decode(StatusJSON.self, from: Data(try status(cluster).utf8))
    }

    @Test("per verifier and scope: last complete pass, next due, open findings by severity; a fault shows up, a stopped verifier goes OVERDUE",
          .timeLimit(.minutes(8)))
    func statusColumns() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10, verifiers: true) { (cluster: ClusterFile) async throws in
            let vigil = "\(Processes.executableDirectory)/vigil"
            try Command.run([vigil, "load", "--dir", cluster.directory, "--files", "40", "--max-size", "100000"])

            // Every verifier completes a pass over data loaded through the File Journal: nothing open.
            var last: StatusJSON?
            #expect(try await eventually(timeout: .seconds(240), interval: .seconds(1)) {
                last = try Self.report(cluster)
                let complete = Set(last!.scopes.filter { $0.complete_passes > 0 }.map(\.verifier))
                return complete.isSuperset(of: Self.expected) && last!.scopes.allSatisfy { $0.last_complete_pass != nil }
            }, "not every verifier completed a pass: \(String(describing: last))")
            let clean = try #require(last)
            #expect(clean.databases.map(\.name) == ["zone-a", "journal"])
            #expect(clean.databases.allSatisfy { $0.profile == "dev" })
            for db in clean.databases where !db.open_findings.isEmpty {
                let open = try Command.runStatus([vigil, "findings", "list", "--dir", cluster.directory, "--zone", db.name == "journal" ? "journal" : db.name])
                Issue.record("a clean cluster has open findings in \(db.name): \(open.output)")
            }
            #expect(clean.daemons.allSatisfy { $0.state == "up" }, "\(clean.daemons)")
            #expect(clean.scopes.allSatisfy { !$0.overdue })
            for s in clean.scopes {
                let lastPass = try #require(s.last_complete_pass), due = try #require(s.next_due, "\(s.verifier) \(s.scope) has no next due")
                // The dev profile's pass periods are 0.5 to 5.5 seconds.
                #expect(due.timeIntervalSince(lastPass) > 0.49 && due.timeIntervalSince(lastPass) < 5.51, "\(s.verifier) \(s.scope): due \(due), last \(lastPass)")
            }
            let text = try Self.status(cluster, json: false)
            #expect(text.contains("VERIFIER") && text.contains("LAST COMPLETE PASS") && text.contains("NEXT DUE") && text.contains("OPEN FINDINGS"))
            #expect(text.contains("open findings: none"))

            // No master to repair it: a flipped byte stays, counted under its scrubber's scope and severity.
            killProcess(cluster.process(named: "zone-a/master").pid)
            let volume = try #require(try await cluster.index.volumes(inState: "sealed").first).id
            let holder = try #require(try await cluster.index.replicas(of: volume).first).node.id
            let node = try #require(cluster.zones[0].nodes.first { $0.id == holder })
            let path = "\(node.dataDirectory)/extents/v\(volume).g1.extent"
            let entry = try #require(try ExtentReader(path: path).footer()?.first)
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[Int(entry.offset) + 64 + Int(entry.length) / 2] ^= 0x10
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(try await eventually(timeout: .seconds(60), interval: .seconds(1)) {
                last = try Self.report(cluster)
                return last!.scope("disk-scrubber") { $0.open_findings["error", default: 0] >= 1 } != nil
                    && last!.databases[0].open_findings["error", default: 0] >= 1
            }, "the flipped byte never showed: \(String(describing: last))")
            #expect(last!.daemons.first { $0.name == "zone-a/master" }?.state == "down")
            #expect(try Self.status(cluster, json: false).contains(" error"))

            // A verifier that stops completing passes goes overdue (1.5 periods, at least 30 s).
            killProcess(cluster.process(named: "zone-a/trash-inspector").pid)
            #expect(try await eventually(timeout: .seconds(60), interval: .seconds(1)) {
                try Self.report(cluster).scope("trash-inspector")?.overdue == true
            })
            #expect(try Self.status(cluster, json: false).contains("OVERDUE"))

            // `vigil dev down --dir` stops everything the cluster runs.
            try Command.run([vigil, "dev", "down", "--dir", cluster.directory])
            #expect(cluster.processes.allSatisfy { !Processes.isAlive($0.pid) })
        }
    }
}

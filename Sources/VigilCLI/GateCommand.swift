import ArgumentParser
import Foundation
import VigilDev
import VigilGate

struct GateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "The staging sign-off verdict: exit 0 sign off, 1 blocked (every reason listed), 2 cannot evaluate.",
        discussion: """
            Signs off when, inside the window: every verifier in each of its scopes (zone, \
            shard, node, stage) completed a full pass that started inside it; no error or \
            critical finding is open, or was seen inside the window even if repaired since \
            (a finding resolved by hand with `vigil findings resolve` no longer blocks); every \
            watcher stage ran without failure; the extent referee saw no unjustified transition. With --cluster the expected scopes \
            come from the cluster's topology as well as the pass ledger; with --database, from \
            the ledger alone. --format junit writes one test case per verifier and scope.
            """)

    @Option(help: "The cluster file (default .vigil/cluster.json) — or use --database.") var cluster: String?
    @Option(help: "A zone's block-index database URL, for a deployment without a cluster file.") var database: String?
    @Option(help: "Only this zone.") var zone: String?
    @Option(help: "How far back passes and findings count: 7d, 24h, 30m, 90s.") var window = "7d"
    @Option(help: "text, json or junit.") var format = "text"

    func run() async throws {
        guard let seconds = Gate.parseWindow(window) else { throw ValidationError("--window takes a number and a unit: 7d, 24h, 30m, 90s") }
        guard ["text", "json", "junit"].contains(format) else { throw ValidationError("--format is text, json or junit") }
        let sources: [GateSource]
        do {
            sources = try gateSources()
        } catch {
            FileHandle.standardError.write(Data("cannot evaluate: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let verdict: GateVerdict
        do {
            verdict = try await Gate.evaluate(sources, windowSeconds: seconds, windowLabel: window)
        } catch {
            FileHandle.standardError.write(Data("cannot evaluate: \(error)\n".utf8))
            throw ExitCode(2)
        }
        switch format {
        case "json": print(verdict.json)
        case "junit": print(verdict.junit)
        default: print(verdict.text)
        }
        if !verdict.signOff { throw ExitCode(1) }
    }

    func gateSources() throws -> [GateSource] {
        if let database { return [GateSource(name: zone ?? "database", databaseURL: database)] }
        let file = try ClusterFile.load(cluster ?? ClusterFile.defaultPath)
        var sources = file.zones.filter { zone == nil || $0.name == zone }.map { z in
            GateSource(name: z.name, databaseURL: z.database, expected: expectedScopes(file, z))
        }
        if zone == nil, file.processes.contains(where: { $0.name == "cross-zone-verifier" }) {
            sources.append(GateSource(name: "journal", databaseURL: file.journalDatabase, expected: [("cross-zone-verifier", "global")]))
        }
        return sources
    }

    /// The scopes a zone's verifiers must cover, from the processes the cluster runs.
    func expectedScopes(_ file: ClusterFile, _ zone: ClusterFile.Zone) -> [(verifier: String, scope: String)] {
        var out: [(String, String)] = []
        for process in file.processes where process.name.hasPrefix(zone.name + "/") {
            let parts = process.name.split(separator: "/").map(String.init)
            switch parts.last {
            case "disk-scrubber": out.append(("disk-scrubber", "\(zone.name)/\(parts[1])"))
            case "extent-referee": out.append(("extent-referee", "\(zone.name)/\(parts[1])"))
            case "metadata-scanner": out.append(("metadata-scanner", zone.name))
            case "trash-inspector": out.append(("trash-inspector", zone.name))
            default: break
            }
        }
        return out
    }
}

import ArgumentParser
import Foundation
import VigilDev
import VigilGate
import VigilPostgres

struct GateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "The staging sign-off verdict: exit 0 sign off, 1 blocked (every reason listed), 2 cannot evaluate.",
        discussion: """
            Signs off when, inside the window: every verifier scope the zone's recorded \
            topology implies (a disk scrubber and an extent referee per live node, the metadata \
            scanner or all its shards, the trash inspector, every storage-watcher stage, and the \
            cross-zone verifier when the zone is covered by the File Journal) completed a full \
            pass that started inside it and, where there was data, checked some; no error or \
            critical finding is open, or was seen inside the window even if repaired since; the \
            watcher and the extent referee reported nothing. Fails closed: a zone whose topology \
            was never recorded (`vigil zone configure`), a verifier that never ran, or a pass that \
            checked nothing blocks, whatever the command line. A window shorter than the \
            verifiers' profile needs is refused (exit 2) with the window it needs: production \
            needs 29d (the disk scrubber sweeps every 14 days), dev 20s. Findings resolved by \
            hand are listed but do not block. --format junit writes one test case per \
            (verifier, scope). \
            --max-age also requires every part of every expected scope's domain to have been \
            verified within it: since the start of the scope's last complete pass (the part a \
            running pass has not reached yet was verified no later); a scope that never completed \
            a pass blocks. It is refused (exit 2) below the same minimum as --window, since just \
            before a sweep completes its oldest part is up to two pass periods old.
            """)

    @OptionGroup var cluster: ClusterLocation
    @Option(help: "A zone's block-index database URL (repeat for several zones), for a deployment without a cluster file (instead of --cluster or --dir).") var database: [String] = []
    @Option(name: .customLong("journal-database"), help: "The File Journal's database URL (needed with --database when the cross-zone verifier covers the zone).") var journalDatabase: String?
    @Option(help: "Only this zone of the cluster (default: every zone).") var zone: String?
    @Option(help: "How far back passes and findings count: 29d, 24h, 30m, 90s.") var window = "29d"
    @Option(name: .customLong("max-age"), help: "Block any expected scope with a part of its domain last verified longer ago: 29d, 24h, 30m, 90s (default: not checked).") var maxAge: String?
    @Option(help: "text, json or junit.") var format = "text"

    func run() async throws {
        guard let seconds = Gate.parseWindow(window) else { throw ValidationError("--window takes a number and a unit: 7d, 24h, 30m, 90s") }
        guard ["text", "json", "junit"].contains(format) else { throw ValidationError("--format is text, json or junit") }
        let age = try maxAge.map { text in
            guard let seconds = Gate.parseWindow(text) else { throw ValidationError("--max-age takes a number and a unit: 14d, 24h, 30m, 90s") }
            return GateMaxAge(seconds: seconds, label: text)
        }
        let inputs: GateInputs
        do {
            inputs = try gateInputs()
        } catch {
            FileHandle.standardError.write(Data("cannot evaluate: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let verdict: GateVerdict
        do {
            verdict = try await Gate.evaluate(inputs, windowSeconds: seconds, windowLabel: window, maxAge: age)
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

    func gateInputs() throws -> GateInputs {
        if !database.isEmpty { return GateInputs(zoneDatabases: database, journalDatabase: journalDatabase) }
        let file = try cluster.load()
        let zones = file.zones.filter { zone == nil || $0.name == zone }
        guard !zones.isEmpty else { throw ValidationError("no zone \(zone ?? "") in \(cluster.path)") }
        // As the operator's role, like `vigil status` and `vigil findings`: it reads every row and can change none.
        return GateInputs(zoneDatabases: zones.map { DatabaseRole.operator.url($0.database) },
                          journalDatabase: journalDatabase ?? DatabaseRole.operator.url(file.journalDatabase))
    }
}

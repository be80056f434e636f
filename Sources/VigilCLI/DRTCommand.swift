import ArgumentParser
import Foundation
import VigilDRT

struct DRTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drt",
        abstract: "Secretly inject a seeded mix of faults into a local cluster and report what the verifiers caught, what was repaired, and what they raised that no fault explains.",
        discussion: """
            Classes: \(FaultClass.allCases.map(\.rawValue).joined(separator: ", ")). Each fault goes to \
            a zone in turn, with no word to the verifiers; DRT waits (bounded by --timeout-seconds) for \
            the finding of the expected kind and subject from the verifier that owns it, undoes what no \
            daemon repairs (index damage, a wrong credential), and waits (--repair-timeout-seconds) for \
            the cluster to repair the rest. Then it lists every error or critical finding no fault \
            explains (precision) and reads back every block it wrote (lost). node_lost is injected once, \
            after every seed. Exit 1 unless every fault was detected, every repairable one repaired, \
            nothing is unexplained and nothing lost; exit 2 (with the reason on standard error) when the run stops before its report. The JSON report is described in Schemas/drt-report.md.
            """)

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var access: FrontendTokenOptions
    @Option(help: "How many faults per seed.") var faults = 13
    @Option(help: "Seed: the same seed injects the same faults.") var seed: UInt64?
    @Option(help: "Several seeds, e.g. 1..5 or 3,7,9, one after another.") var seeds: String?
    @Option(help: "Only these classes, comma-separated (default: all).") var classes: String?
    @Option(name: .customLong("timeout-seconds"), help: "How long to wait for every detection, per seed.") var timeoutSeconds = 180
    @Option(name: .customLong("repair-timeout-seconds"), help: "How long to wait for every repair, per seed.") var repairTimeoutSeconds = 180
    @Flag(name: .customLong("under-load"), help: "Puts, gets and deletes in every zone (so GC and compaction run) and a drain while faults are injected.")
    var underLoad = false
    @Flag(help: "Print the report as JSON.") var json = false

    func seedList() throws -> [UInt64] {
        guard let seeds else { return [seed ?? 1] }
        guard seed == nil else { throw ValidationError("give --seed or --seeds, not both") }
        let range = seeds.components(separatedBy: "..")
        if range.count == 2, let a = UInt64(range[0]), let b = UInt64(range[1]), a <= b, b - a < 1000 { return Array(a...b) }
        let list = seeds.split(separator: ",").compactMap { UInt64($0) }
        guard !list.isEmpty, list.count == seeds.split(separator: ",").count else { throw ValidationError("--seeds takes A..B or a comma-separated list, not \(seeds)") }
        return list
    }

    func run() async throws {
        var options = DRT.Options()
        options.faults = faults
        options.seeds = try seedList()
        options.timeout = .seconds(timeoutSeconds)
        options.repairTimeout = .seconds(repairTimeoutSeconds)
        options.underLoad = underLoad
        if let classes {
            options.classes = try classes.split(separator: ",").map {
                guard let c = FaultClass(rawValue: String($0)) else { throw ValidationError("unknown fault class \($0)") }
                return c
            }
        }
        let quiet = json
        let file = try cluster.load()
        let token = try access.token(file, role: \.write)
        let report: DRTReport
        do {
            report = try await DRT(cluster: file, clusterPath: cluster.path, frontendToken: token, seed: options.seeds[0], log: { if !quiet { print($0) } }).run(options)
        } catch {
            // Say why the run stopped even when stdout is a JSON file nobody reads yet.
            FileHandle.standardError.write(Data("vigil drt: the run stopped before its report: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if json { try printJSON(report) } else { printTable(report) }
        if !report.passed { throw ExitCode(1) }
    }

    func printTable(_ report: DRTReport) {
        func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: n, withPad: " ", startingAt: 0) }
        func secs(_ s: Double?) -> String { s.map { String(format: "%7.1f", $0) } ?? "      -" }
        print("\nseed class                          detected  by                   detect  repaired  repair  target")
        for f in report.faults {
            let repaired = f.repairable ? (f.repaired ? "yes" : "NO") : "n/a"
            print("\(pad("\(f.seed)", 4)) \(pad(f.class, 30)) \(pad(f.detected ? "yes" : "NO", 9)) \(pad(f.verifier ?? "-", 20)) \(secs(f.seconds_to_detect))  \(pad(repaired, 8)) \(secs(f.seconds_to_repair))  \(f.target)\(f.note.map { "  (\($0))" } ?? "")")
        }
        for u in report.unexplained { print("UNEXPLAINED \(u.zone) \(u.verifier) \(u.severity) \(u.kind) \(u.subject)") }
        print("\n\(report.detected) of \(report.injected) faults detected; precision \(String(format: "%.3f", report.precision)) (\(report.unexplained.count) unexplained); \(report.lost) lost")
        print("seconds to detect p50 \(secs(report.seconds_to_detect.p50)) p99 \(secs(report.seconds_to_detect.p99)) max \(secs(report.seconds_to_detect.max)); to repair p50 \(secs(report.seconds_to_repair.p50)) p99 \(secs(report.seconds_to_repair.p99)) max \(secs(report.seconds_to_repair.max))")
    }
}

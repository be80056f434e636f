import ArgumentParser
import Foundation
import VigilDRT

struct DRTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drt",
        abstract: "Secretly inject a seeded mix of faults into a local cluster and report what the verifiers caught.",
        discussion: """
            Classes: \(FaultClass.allCases.map(\.rawValue).joined(separator: ", ")). Each fault is \
            injected with no word to the verifiers; then DRT waits (bounded by --timeout-seconds) \
            for a finding that names it, and reports class, target, verifier, finding, seconds to \
            detect and whether it was repaired. Exit 1 if any fault went undetected. The cluster \
            must run its verifiers (vigil dev up does). It writes data of its own first, so that \
            every fault has an untouched volume; faults no daemon repairs (index damage) stay.
            """)

    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var access: FrontendTokenOptions
    @Option(help: "How many faults.") var faults = 13
    @Option(help: "Seed: the same seed injects the same faults.") var seed: UInt64 = 1
    @Option(help: "Only these classes, comma-separated (default: all).") var classes: String?
    @Option(name: .customLong("timeout-seconds"), help: "How long to wait for every detection.") var timeoutSeconds = 180
    @Flag(help: "Print the report as JSON.") var json = false

    func run() async throws {
        var options = DRT.Options()
        options.faults = faults
        options.seed = seed
        options.timeout = .seconds(timeoutSeconds)
        if let classes {
            options.classes = try classes.split(separator: ",").map {
                guard let c = FaultClass(rawValue: String($0)) else { throw ValidationError("unknown fault class \($0)") }
                return c
            }
        }
        let quiet = json
        let file = try cluster.load()
        let token = try access.token(file, role: \.write)
        let report = try await DRT(cluster: file, frontendToken: token, seed: seed, log: { if !quiet { print($0) } }).run(options)
        if json {
            try printJSON(report)
        } else {
            print("\nclass                          detected  by                   seconds  repaired  target")
            for f in report.faults {
                print("\(f.class.padding(toLength: 30, withPad: " ", startingAt: 0)) \((f.detected ? "yes" : "NO").padding(toLength: 9, withPad: " ", startingAt: 0)) \((f.verifier ?? "-").padding(toLength: 20, withPad: " ", startingAt: 0)) \(f.seconds_to_detect.map { String(format: "%7.1f", $0) } ?? "      -")  \((f.repaired ? "yes" : "no").padding(toLength: 8, withPad: " ", startingAt: 0))  \(f.target)")
            }
            print("\n\(report.detected) of \(report.injected) faults detected")
        }
        if report.detected < report.injected { throw ExitCode(1) }
    }
}

import ArgumentParser
import Foundation
import VigilDRT

struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Load the cluster while killing daemons and restarting Postgres and Kafka; then prove nothing was lost and nothing was falsely reported.",
        discussion: """
            For --seconds, writes and reads blocks through the frontend while, every few \
            seconds, a random daemon (node, verifier, master, frontend) is killed with SIGKILL \
            and restarted, or PostgreSQL or the Kafka broker is restarted. Then it brings \
            everything back (vigil dev up), waits for a full pass of every verifier and for every \
            watcher stage to have committed every sample published (the sample topic's high \
            watermarks), reads every committed block back verified, and lists any error or \
            critical finding (there was no fault to find). Exit 1 on any lost block, false \
            positive, missing pass or unchecked sample.
            """)
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var access: FrontendTokenOptions
    @Option(help: "How long the disturbances last.") var seconds = 60
    @Option(help: "Seed for the disturbances.") var seed: UInt64 = 1
    @Flag(help: "Print the report as JSON.") var json = false

    func run() async throws {
        let quiet = json
        // It writes, and reads back what it wrote.
        let token = try access.token(try cluster.load(), role: \.admin)
        let report = try await Chaos(clusterPath: cluster.path, frontendToken: token, seed: seed, log: { if !quiet { print($0) } }).run(seconds: seconds)
        if json {
            try printJSON(report)
        } else {
            print("\n\(report.events.count) disturbances, \(report.blocksWritten) blocks written, \(report.blocksLost) lost, \(report.falsePositives.count) false positives")
            for f in report.falsePositives { print("  false positive: \(f)") }
            for v in report.verifiersWithoutPass { print("  no full pass after settling: \(v)") }
            print("\(report.samplesPublished) samples published; \(report.stagesBehind.isEmpty ? "every one checked at every watcher stage" : "stages behind:")")
            for s in report.stagesBehind { print("  \(s)") }
        }
        if !report.passed { throw ExitCode(1) }
    }
}

import ArgumentParser
import Foundation
import VigilDRT

struct ChaosCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chaos",
        abstract: "Load, delete, compact and drain while killing daemons and restarting Postgres and Kafka; then prove nothing was lost and nothing was falsely reported.",
        discussion: """
            For --seconds, writes, reads and deletes blocks through the frontend while, every \
            few seconds, most of a sealed volume is deleted (the master's GC compacts it, trashes \
            and later unlinks the old extents) or a node is drained as `vigil drain` does (then put \
            back up), and a random daemon (node, verifier, master, frontend) is killed with \
            SIGKILL and restarted, or PostgreSQL is restarted (an immediate shutdown, i.e. crash \
            recovery, and a fast one), or the Kafka broker is. The run's drains and compactions \
            are announced churn: the master's blast-radius cap is lifted for the zone's nodes \
            meanwhile (a recorded override). Then it brings everything back (vigil dev up), waits \
            for a full pass of every verifier and for every watcher stage to have committed every \
            sample published (the sample topic's high watermarks), reads every acknowledged \
            block that was not deleted back verified, checks every deleted block is no longer \
            served, deleted in the index and, once GC compacted its volume, only in trash or \
            unlinked on every node, and lists any error or critical finding (no fault was \
            injected). Exit 1 on any lost block, delete not held, false positive, missing pass \
            or unchecked sample.
            """)
    @OptionGroup var cluster: ClusterOptions
    @OptionGroup var access: FrontendTokenOptions
    @Option(help: "How long the disturbances last.") var seconds = 60
    @Option(help: "Seed for the disturbances.") var seed: UInt64 = 1
    @Flag(help: "Print the report as JSON.") var json = false

    func run() async throws {
        let quiet = json
        // It writes, reads back what it wrote, and deletes.
        let token = try access.token(try cluster.load(), role: \.admin)
        let report = try await Chaos(clusterPath: cluster.path, frontendToken: token, seed: seed, log: { if !quiet { print($0) } }).run(seconds: seconds)
        if json {
            try printJSON(report)
        } else {
            print("\n\(report.events.count) events, \(report.blocksWritten) blocks written, \(report.blocksLost) lost, \(report.blocksDeleted) deleted, \(report.deletesNotHeld.count) deletes not held, \(report.volumesCompacted) volumes compacted, \(report.replicasDrained) replicas drained, \(report.falsePositives.count) false positives")
            for d in report.deletesNotHeld { print("  delete not held: \(d)") }
            for f in report.falsePositives { print("  false positive: \(f)") }
            for v in report.verifiersWithoutPass { print("  no full pass after settling: \(v)") }
            print("\(report.samplesPublished) samples published; \(report.stagesBehind.isEmpty ? "every one checked at every watcher stage" : "stages behind:")")
            for s in report.stagesBehind { print("  \(s)") }
        }
        if !report.passed { throw ExitCode(1) }
    }
}

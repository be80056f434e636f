import ArgumentParser
import Foundation

@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-bench",
        abstract: "Measure Vigil's verifiers against baselines run side by side on the same data.",
        discussion: """
            Prints one `name: value` line per figure. Every figure that has a baseline \
            (OpenSSL SHA-256, a bare libpq COPY, raw Kafka consumption) measures it in the \
            same run, on the same data, and prints the ratio: this machine is shared and \
            noisy, and the ratio is what counts. Scripts/bench builds in release mode and runs this.
            """)

    @Option(help: "Where to put the benchmark's data (deleted afterwards).") var dir = "/tmp/vigil-bench"
    @Option(name: .customLong("scrub-mb"), help: "Extent data the scrubber reads, in MiB.") var scrubMB = 1024
    @Option(help: "Rows in the block index for the scanner and presence figures.") var blocks = 1_000_000
    @Option(help: "Samples for the watcher intake figure.") var samples = 1_000_000
    @Option(help: "Only these figures (scrubber, presence, scanner, watcher, frontend, rss); default all.") var only: [String] = []
    @Option(name: .customLong("rss-blocks"), help: "The two index sizes for the peak-RSS figures.") var rssBlocks: [Int] = [1_000_000, 5_000_000]
    @Option(name: .customLong("frontend-window"), help: "Seconds per window of the frontend figures (4 windows with verifiers, 4 without, per operation).") var frontendWindow = 6
    @Option(name: .customLong("frontend-operation"), help: "Only these frontend figures (put, get); default both.") var frontendOperations: [String] = ["put", "get"]

    func run() async throws {
        let root = URL(fileURLWithPath: dir)
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        func wanted(_ name: String) -> Bool { only.isEmpty || only.contains(name) }
        print("machine: \(machineDescription())")
        if wanted("scrubber") { try await ScrubberBench.run(directory: root.appendingPathComponent("scrub"), megabytes: scrubMB) }
        if wanted("presence") || wanted("scanner") {
            try await IndexBench.run(directory: root.appendingPathComponent("index"), blocks: blocks, presence: wanted("presence"), scanner: wanted("scanner"))
        }
        if wanted("watcher") { try await WatcherBench.run(samples: samples) }
        if wanted("frontend") {
            try await FrontendBench.run(directory: root.appendingPathComponent("frontend"), windowSeconds: frontendWindow, rounds: 4, blockBytes: 16 << 10, concurrency: 16,
                operations: frontendOperations)
        }
        if wanted("rss") { try await RSSBench.run(directory: root.appendingPathComponent("rss"), sizes: rssBlocks) }
    }
}

/// Prints a figure as `name: value`.
func figure(_ name: String, _ value: Double, _ unit: String = "") {
    print("\(name): \(String(format: value >= 100 ? "%.0f" : "%.3f", value))\(unit.isEmpty ? "" : " \(unit)")")
    fflush(nil)  // each figure as soon as it is measured, also into a file
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let start = ContinuousClock.now
    let value = try await body()
    return (value, seconds(ContinuousClock.now - start))
}

func machineDescription() -> String {
    let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
        .split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    return "\(ProcessInfo.processInfo.activeProcessorCount) cores, \(cpu), \(ProcessInfo.processInfo.physicalMemory >> 30) GiB"
}

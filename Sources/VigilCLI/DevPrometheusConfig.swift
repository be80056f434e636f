import ArgumentParser
import Foundation
import VigilDev

extension Dev {
    /// `vigil dev prometheus-config`: a Prometheus configuration that scrapes
    /// every daemon of a local cluster and loads Vigil's alerting rules.
    struct PrometheusConfig: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prometheus-config",
            abstract: "Write a Prometheus configuration for the local cluster: every daemon's /metrics, Vigil's alerting rules.",
            discussion: """
                One scrape job per component (vigil-node, vigil-frontend, vigil-master, vigil-disk-scrubber, …), each \
                target labelled with its zone, node and verifier as the alerting rules and the dashboard expect. \
                rule_files name vigil-alerts.yml and vigil-recording.yml in --rules-dir by absolute path. \
                Run `prometheus --config.file FILE` on it; the cluster's ports change when it is restarted, so \
                write the file again after `vigil dev up`.
                """)

        @OptionGroup var cluster: ClusterLocation
        @Option(name: .customLong("rules-dir"), help: "Directory holding vigil-alerts.yml and vigil-recording.yml.")
        var rulesDirectory = "deploy/prometheus"
        @Option(help: "Write the configuration to this file (default: standard output).") var output: String?
        @Option(name: .customLong("scrape-interval"), help: "Scrape and rule evaluation interval, e.g. 15s or 500ms.")
        var scrapeInterval = "15s"

        static let ruleFiles = ["vigil-alerts.yml", "vigil-recording.yml"]

        func validate() throws {
            guard scrapeInterval.range(of: #"^[1-9][0-9]*(ms|s|m)$"#, options: .regularExpression) != nil else {
                throw ValidationError("--scrape-interval must be a number and ms, s or m (e.g. 15s), not \(scrapeInterval)")
            }
        }

        func run() throws {
            let file = try cluster.load()
            let rules = URL(fileURLWithPath: rulesDirectory).standardizedFileURL
            let paths = Self.ruleFiles.map { rules.appendingPathComponent($0).path }
            for path in paths where !FileManager.default.fileExists(atPath: path) {
                throw CLIError("no \(path): run from the repository's root or pass --rules-dir DIR (the repository's deploy/prometheus)")
            }
            let text = Self.render(file, ruleFiles: paths, interval: scrapeInterval, source: cluster.path)
            guard let output else { return print(text, terminator: "") }
            do {
                try text.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                throw CLIError("cannot write \(output): \(error.localizedDescription)")
            }
        }

        /// The configuration as YAML: strings are JSON-quoted, which YAML reads as they are.
        static func render(_ file: ClusterFile, ruleFiles: [String], interval: String, source: String) -> String {
            var lines = [
                "# Scrapes the Vigil cluster of \(source); written by `vigil dev prometheus-config`.",
                "global:", "  scrape_interval: \(interval)", "  evaluation_interval: \(interval)", "rule_files:",
            ]
            lines += ruleFiles.map { "  - \(quoted($0))" }
            lines.append("scrape_configs:")
            let targets = file.processes.compactMap(Target.init)
            for job in Set(targets.map(\.job)).sorted() {
                // honor_labels: a daemon's own zone/verifier labels agree with the target's and stay unprefixed.
                lines += ["  - job_name: \(quoted(job))", "    honor_labels: true", "    static_configs:"]
                for target in targets where target.job == job {
                    let labels = target.labels.map { "\($0.0): \(quoted($0.1))" }.joined(separator: ", ")
                    lines += ["      - targets: [\(quoted(target.address))]", "        labels: {\(labels)}"]
                }
            }
            return lines.joined(separator: "\n") + "\n"
        }

        /// A double-quoted YAML string: JSON's quoting without `\/`, an escape YAML does not have.
        static func quoted(_ text: String) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .withoutEscapingSlashes
            return String(decoding: (try? encoder.encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
        }
    }
}

/// One daemon to scrape: its job (the executable's name), address and labels,
/// read from its cluster-file entry (`zone-a/node-2/disk-scrubber`, `…/health`).
private struct Target {
    static let verifiers: Set<String> = [
        "disk-scrubber", "metadata-scanner", "trash-inspector", "extent-referee", "storage-watcher", "cross-zone-verifier",
    ]

    var job: String
    var address: String
    var labels: [(String, String)] = []

    /// Nil for a process that serves no metrics (the dev Kafka broker).
    init?(_ process: ClusterFile.Process) {
        guard let health = process.health.flatMap(URL.init(string:)), let host = health.host, let port = health.port,
              let executable = process.arguments.first else { return nil }
        job = URL(fileURLWithPath: executable).lastPathComponent
        address = "\(host):\(port)"
        let parts = process.name.split(separator: "/").map(String.init)
        if parts.count > 1 { labels.append(("zone", parts[0])) }
        if let node = parts.first(where: { $0.range(of: #"^node-[0-9]+$"#, options: .regularExpression) != nil }) { labels.append(("node", node)) }
        let component = String(job.dropFirst("vigil-".count))
        if Self.verifiers.contains(component) { labels.append(("verifier", component)) }
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilCore
import VigilDev
import VigilPostgres
import VigilTestSupport

/// Debian's real Prometheus against a test cluster, configured by
/// `vigil dev prometheus-config`: it scrapes every daemon, and a fault injected
/// into the cluster fires the matching alert through Prometheus's HTTP API.
///
/// The alert watched is VigilBlockCorrupt, whose `for:` is 0s in the shipped
/// rules (a scrubber finding is confirmed before it is reported), so the test
/// loads the very rules operators get rather than a copy with shortened waits;
/// a 1 s scrape and evaluation interval keeps the wait to the scrubber's own.
@Suite("Prometheus against a cluster", .serialized)
struct PrometheusIntegrationTests {
    static let prometheus = "/usr/bin/prometheus"

    @Test("every Vigil daemon is an up target, and a corrupted extent fires VigilBlockCorrupt", .timeLimit(.minutes(6)))
    func corruptionFiresItsAlert() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.prometheus), "\(Self.prometheus) is missing: run Scripts/install-deps (Debian package prometheus)")
        try await withTestCluster(volumeTargetBytes: 64 << 10, verifiers: true) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<120 { _ = try await frontend.put(randomBlock(512...2048)) }
            let directory = "\(cluster.directory)/prometheus"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Command.run([
                "\(Processes.executableDirectory)/vigil", "dev", "prometheus-config", "--cluster", DevCluster.clusterPath(cluster.directory),
                "--rules-dir", AlertRuleTests.prometheusDirectory.path, "--scrape-interval", "1s", "--output", "\(directory)/prometheus.yml",
            ])
            _ = try AlertRuleTests.promtool(["check", "config", "\(directory)/prometheus.yml"])
            let port = try freeLoopbackPort()
            let pid = try Processes.spawn([
                Self.prometheus, "--config.file", "\(directory)/prometheus.yml", "--storage.tsdb.path", "\(directory)/data",
                "--web.listen-address", "127.0.0.1:\(port)",
            ], log: "\(directory)/prometheus.log")
            do {
                try await Self.watchFaultFire(cluster, api: "http://127.0.0.1:\(port)/api/v1", prometheus: pid, log: "\(directory)/prometheus.log")
            } catch {
                await Processes.terminate(pid)
                throw error
            }
            await Processes.terminate(pid)
        }
    }

    static func watchFaultFire(_ cluster: ClusterFile, api: String, prometheus pid: Int32, log: String) async throws {
        // Every daemon that serves /metrics (all but the dev Kafka broker) is a target, and up.
        let expected = cluster.processes.filter { $0.health != nil }.count
        var targets: [[String: Any]] = []
        let allUp = try await eventually(timeout: .seconds(90), interval: .seconds(1)) {
            guard Processes.isAlive(pid) else {
                throw PrometheusExited(log: String((try? String(contentsOfFile: log, encoding: .utf8))?.suffix(2000) ?? ""))
            }
            targets = (try? await get("\(api)/targets"))?["activeTargets"] as? [[String: Any]] ?? []
            return targets.count == expected && targets.allSatisfy { $0["health"] as? String == "up" }
        }
        #expect(allUp, "not every Vigil target is up: \(targets.map { "\(($0["labels"] as? [String: String])?["job"] ?? "?") \($0["health"] ?? "?")" })")
        let jobs = Set(targets.compactMap { ($0["labels"] as? [String: String])?["job"] })
        #expect(jobs.isSuperset(of: ["vigil-node", "vigil-frontend", "vigil-master", "vigil-disk-scrubber", "vigil-metadata-scanner"]))
        #expect(try await firing("VigilBlockCorrupt", api: api).isEmpty, "a clean cluster already has a corrupt block")

        // The master repairs a damaged copy within seconds (trash, then a new
        // generation), which would resolve the finding before Prometheus scrapes
        // it: stop the master so the damage persists while the alert is watched.
        let master = try #require(cluster.processes.first { $0.name == "\(cluster.zones[0].name)/master" })
        await Processes.terminate(master.pid)

        // A flipped bit in one replica of a sealed volume, as the gate test does.
        #expect(try await eventually(timeout: .seconds(60), interval: .seconds(1)) {
            try await !cluster.index.volumes(inState: "sealed").isEmpty
        }, "no volume was sealed")
        let volume = try #require(try await cluster.index.volumes(inState: "sealed").first).id
        let replica = try await cluster.index.replicas(of: volume)[0]
        let node = try #require(cluster.zones[0].nodes.first { $0.id == replica.node.id })
        let path = "\(node.dataDirectory)/extents/v\(volume).g1.extent"
        let entry = try #require(try ExtentReader(path: path).footer()?.first)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[Int(entry.offset) + 64 + Int(entry.length) / 2] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))

        var alerts: [[String: String]] = []
        let fired = try await eventually(timeout: .seconds(120), interval: .seconds(1)) {
            alerts = try await firing("VigilBlockCorrupt", api: api)
            return !alerts.isEmpty
        }
        #expect(fired, "VigilBlockCorrupt never fired for the flipped bit in \(path)")
        guard let alert = alerts.first else { return }
        #expect(alert["kind"] == "data_crc")
        #expect(alert["scope"] == "\(cluster.zones[0].name)/node-\(node.id)")
        #expect(alert["zone"] == cluster.zones[0].name)
        #expect(alert["severity"] == "page")
    }

    /// The labels of each firing alert named `name`.
    static func firing(_ name: String, api: String) async throws -> [[String: String]] {
        let alerts = try await get("\(api)/alerts")["alerts"] as? [[String: Any]] ?? []
        return alerts.filter { $0["state"] as? String == "firing" }.compactMap { $0["labels"] as? [String: String] }.filter { $0["alertname"] == name }
    }

    /// `data` of a Prometheus API answer.
    static func get(_ url: String) async throws -> [String: Any] {
        let (data, _) = try await URLSession.shared.data(from: URL(string: url)!)
        let answer = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return answer?["data"] as? [String: Any] ?? [:]
    }
}

struct PrometheusExited: Error, CustomStringConvertible {
    var log: String
    var description: String { "prometheus exited; its log ends:\n\(log)" }
}

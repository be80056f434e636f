import Foundation
import Testing
import VigilCore
import VigilDev
import Yams

/// There is no Docker engine here: these check the deployment files as far as
/// a test can — they parse, every file they name exists, and every executable,
/// subcommand and flag they use exists in the built binaries.
@Suite(.timeLimit(.minutes(3))) struct DeploymentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func services() throws -> [String: [String: Any]] {
        let text = try String(contentsOf: root.appendingPathComponent("docker-compose.yml"), encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        let raw = try #require(document["services"] as? [String: Any])
        var out: [String: [String: Any]] = [:]
        for (name, value) in raw {
            var service = try #require(value as? [String: Any])
            if let merged = service.removeValue(forKey: "<<") as? [String: Any] {
                service = merged.merging(service) { $1 }
            }
            out[name] = service
        }
        return out
    }

    static func help(_ arguments: [String]) throws -> String {
        let result = try Command.runStatus(["\(Processes.executableDirectory)/\(arguments[0])"] + arguments.dropFirst() + ["--help"])
        #expect(result.status == 0, "\(arguments.joined(separator: " ")) --help failed: \(result.output)")
        return result.output
    }

    /// Every `--flag` of a command line appears in the command's --help.
    static func checkFlags(_ command: [String]) throws {
        let executable = Array(command.prefix { !$0.hasPrefix("-") })
        let text = try help(executable)
        for flag in command.dropFirst() where flag.hasPrefix("--") {
            #expect(text.contains(flag), "\(executable.joined(separator: " ")) has no \(flag)")
        }
    }

    @Test("docker-compose.yml parses, names files that exist, and uses executables and flags the binaries have")
    func composeFileIsConsistent() throws {
        let services = try Self.services()
        for required in ["postgres", "kafka", "frontend", "master", "node-1", "metadata-scanner", "trash-inspector", "storage-watcher",
                         "cross-zone-verifier", "disk-scrubber-1", "extent-referee-1", "prometheus", "grafana"] {
            #expect(services[required] != nil, "no \(required) service")
        }
        #expect((services["kafka"]?["image"] as? String)?.hasPrefix("apache/kafka") == true)
        for (name, service) in services {
            for volume in service["volumes"] as? [String] ?? [] where volume.hasPrefix("./") {
                let path = String(volume.split(separator: ":")[0])
                #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(path).path), "\(name) mounts missing \(path)")
            }
            if service["build"] != nil {
                #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("Dockerfile").path))
            }
            guard let command = service["command"] as? [String], service["image"] as? String == "vigil:latest" else { continue }
            if service["entrypoint"] != nil {
                // A shell line of `vigil …` commands joined by &&.
                for part in command.joined(separator: " ").components(separatedBy: "&&") {
                    let words = part.split(separator: " ").map(String.init)
                    guard words.first == "vigil" else { continue }
                    try Self.checkFlags(words)
                }
            } else {
                #expect(FileManager.default.isExecutableFile(atPath: "\(Processes.executableDirectory)/\(command[0])"), "\(name): no \(command[0])")
                try Self.checkFlags(command)
            }
        }
    }

    @Test("the Dockerfile copies what exists and builds every daemon")
    func dockerfileIsConsistent() throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent("Dockerfile"), encoding: .utf8)
        for line in text.split(separator: "\n") where line.hasPrefix("COPY ") && !line.contains("--from") {
            let source = String(line.split(separator: " ")[1])
            #expect(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(source).path), "Dockerfile copies missing \(source)")
        }
        for daemon in ["vigil-node", "vigil-frontend", "vigil-master", "vigil-disk-scrubber", "vigil-metadata-scanner", "vigil-trash-inspector",
                       "vigil-extent-referee", "vigil-storage-watcher", "vigil-cross-zone-verifier"] {
            #expect(text.contains(daemon), "the Dockerfile does not build \(daemon)")
        }
    }

    @Test("Prometheus scrapes every daemon on its port; the dashboard uses only metrics the code emits")
    func monitoringConfigIsConsistent() throws {
        let services = try Self.services()
        let prometheus = try String(contentsOf: Self.root.appendingPathComponent("deploy/prometheus/prometheus.yml"), encoding: .utf8)
        let config = try #require(try Yams.load(yaml: prometheus) as? [String: Any])
        let jobs = try #require(config["scrape_configs"] as? [[String: Any]])
        var scraped = Set<String>()
        for job in jobs {
            for staticConfig in job["static_configs"] as? [[String: Any]] ?? [] {
                for target in staticConfig["targets"] as? [String] ?? [] {
                    let parts = target.split(separator: ":").map(String.init)
                    let service = try #require(services[parts[0]], "prometheus scrapes unknown service \(parts[0])")
                    let command = service["command"] as? [String] ?? []
                    let port = command.firstIndex(of: "--port").map { command[$0 + 1] }
                    #expect(port == parts[1], "\(parts[0]) listens on \(port ?? "?"), prometheus scrapes \(parts[1])")
                    scraped.insert(parts[0])
                }
            }
        }
        for (name, service) in services where (service["command"] as? [String])?.contains("--port") == true {
            #expect(scraped.contains(name), "prometheus does not scrape \(name)")
        }
        let dashboard = try Data(contentsOf: Self.root.appendingPathComponent("deploy/grafana/vigil-dashboard.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: dashboard) as? [String: Any])
        let exprs = (json["panels"] as? [[String: Any]] ?? []).flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        #expect(exprs.count > 10)
        // The rules' expressions too: an alert on a metric nobody emits never fires.
        var ruleExprs: [String] = [], recorded = Set<String>()
        for file in ["vigil-alerts.yml", "vigil-recording.yml"] {
            let groups = try #require(try AlertRuleTests.yaml(file)["groups"] as? [[String: Any]])
            for rule in groups.flatMap({ $0["rules"] as? [[String: Any]] ?? [] }) {
                ruleExprs.append(try #require(rule["expr"] as? String))
                if let name = rule["record"] as? String { recorded.insert(name) }
            }
        }
        #expect(!ruleExprs.isEmpty)
        let sources = try Self.allSources()
        let metricPattern = try NSRegularExpression(pattern: "vigil_[a-z_]+")
        let recordedPattern = try NSRegularExpression(pattern: "vigil:[a-z_:]+")
        func names(_ pattern: NSRegularExpression, in expr: String) -> [String] {
            pattern.matches(in: expr, range: NSRange(expr.startIndex..., in: expr)).map { String(expr[Range($0.range, in: expr)!]) }
        }
        for expr in exprs + ruleExprs {
            for metric in names(metricPattern, in: expr) {
                #expect(sources.contains("\"\(metric)\""), "\(expr) uses \(metric), which no code emits")
            }
        }
        for expr in exprs {
            for name in names(recordedPattern, in: expr) {
                #expect(recorded.contains(name), "the dashboard uses \(name), which vigil-recording.yml does not record")
            }
        }
        let panels = json["panels"] as? [[String: Any]] ?? []
        #expect(exprs.contains { $0.contains("ALERTS{alertstate=\"firing\"}") }, "the dashboard has no panel of firing alerts")
        for verifier in ["disk-scrubber", "metadata-scanner", "trash-inspector", "extent-referee", "storage-watcher", "cross-zone-verifier"] {
            #expect(panels.contains { ($0["title"] as? String) == "\(verifier): last complete pass" }, "no last-complete-pass panel for \(verifier)")
        }
    }

    @Test("the frontend runs with a tokens file of roles, and the storage watcher with a read token that file grants")
    func frontendTokensAreConfigured() throws {
        let services = try Self.services()
        func secret(_ service: String, _ flag: String) throws -> String {
            let command = try #require(services[service]?["command"] as? [String], "no \(service) command")
            let at = try #require(command.firstIndex(of: flag), "\(service) has no \(flag)")
            let path = command[at + 1]
            #expect(path.hasPrefix("/secrets/"), "\(service) \(flag) \(path) is not in the mounted secrets")
            return try String(contentsOf: Self.root.appendingPathComponent("deploy/dev-secrets/" + path.dropFirst("/secrets/".count)), encoding: .utf8)
        }
        let lines = try secret("frontend", "--tokens-file").split(separator: "\n").map(String.init)
        #expect(Set(lines.compactMap { $0.split(separator: ":").first.map(String.init) }) == ["read", "write", "delete", "admin"])
        let watcherToken = try secret("storage-watcher", "--frontend-token-file").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(lines.contains("read:\(watcherToken)"), "the watcher's token is not the frontend's read token")
    }

    @Test("the frontend signs samples with the key the watcher checks, and both authenticate to Kafka as their own SASL users")
    func samplesAreSignedAndKafkaAuthenticated() throws {
        let services = try Self.services()
        func file(_ service: String, _ flag: String) throws -> String {
            let command = try #require(services[service]?["command"] as? [String], "no \(service) command")
            let at = try #require(command.firstIndex(of: flag), "\(service) has no \(flag)")
            #expect(command[at + 1].hasPrefix("/secrets/"), "\(service) \(flag) is not in the mounted secrets")
            return try String(contentsOf: Self.root.appendingPathComponent("deploy/dev-secrets/" + command[at + 1].dropFirst("/secrets/".count)), encoding: .utf8)
        }
        let frontendKey = try file("frontend", "--sample-key-file"), watcherKey = try file("storage-watcher", "--sample-key-file")
        let ring = try SampleKeyring.parse(frontendKey)
        let watcherRing = try SampleKeyring.parse(watcherKey)
        let probe = SampleMessage(key: .of([1]), zone: "zone-a", volume: 1, length: 1, writtenAtMicros: 1)
        #expect(try SampleVerifier(keyring: watcherRing, zone: "zone-a").open(key: probe.key.bytes, value: probe.encodeValue(signedWith: ring.current)).authenticated,
                "the watcher verifies what the frontend signs")
        let jaas = try String(contentsOf: Self.root.appendingPathComponent("deploy/dev-secrets/kafka_server_jaas.conf"), encoding: .utf8)
        for (service, user) in [("frontend", "frontend"), ("storage-watcher", "watcher")] {
            let lines = try file(service, "--kafka-properties-file").split(separator: "\n").map(String.init)
            #expect(lines.contains("security.protocol=SASL_PLAINTEXT") && lines.contains("sasl.username=\(user)"), "\(service)")
            let password = try #require(lines.first { $0.hasPrefix("sasl.password=") }).dropFirst("sasl.password=".count)
            #expect(jaas.contains("user_\(user)=\"\(password)\""), "the broker knows \(user)'s password")
        }
        let kafka = try #require(services["kafka"]?["environment"] as? [String: Any])
        for listener in (kafka["KAFKA_LISTENERS"] as? String ?? "").split(separator: ",") where !listener.hasPrefix("SASL_") {
            #expect(listener.contains("//localhost:"), "\(listener) takes unauthenticated clients beyond the container")
        }
        #expect((kafka["KAFKA_ADVERTISED_LISTENERS"] as? String)?.hasPrefix("SASL_PLAINTEXT://") == true, "clients must authenticate")
        #expect(kafka["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] as? String == "false")
    }

    static func allSources() throws -> String {
        var text = ""
        for folder in ["Sources", "Verifiers"] {
            let base = root.appendingPathComponent(folder)
            for file in FileManager.default.enumerator(atPath: base.path)!.compactMap({ $0 as? String }) where file.hasSuffix(".swift") {
                text += try String(contentsOf: base.appendingPathComponent(file), encoding: .utf8)
            }
        }
        return text
    }
}

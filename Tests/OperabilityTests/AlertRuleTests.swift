import Foundation
import Testing
import VigilCore
import Yams

/// The alerting rules as Prometheus's own tool sees them: they load, their unit
/// tests pass, every alert is tested firing and not firing, and every alert
/// leads the on-call engineer to a runbook section in README.md.
@Suite(.timeLimit(.minutes(2))) struct AlertRuleTests {
    static let prometheusDirectory = DeploymentTests.root.appendingPathComponent("deploy/prometheus")

    /// Debian's promtool. A missing one is a failure, never a skip: the suite
    /// promises these checks ran (Scripts/install-deps installs `prometheus`).
    static func promtool(_ arguments: [String]) throws -> String {
        let promtool = "/usr/bin/promtool"
        #expect(FileManager.default.isExecutableFile(atPath: promtool), "\(promtool) is missing: run Scripts/install-deps (Debian package prometheus)")
        let result = try Command.runStatus([promtool] + arguments)
        #expect(result.status == 0, "promtool \(arguments.joined(separator: " ")) failed:\n\(result.output)")
        return result.output
    }

    static func yaml(_ path: String) throws -> [String: Any] {
        let text = try String(contentsOf: prometheusDirectory.appendingPathComponent(path), encoding: .utf8)
        return try #require(try Yams.load(yaml: text) as? [String: Any], "\(path) is not a YAML mapping")
    }

    /// Every alerting rule in vigil-alerts.yml, by name.
    static func alerts() throws -> [String: [String: Any]] {
        let groups = try #require(try yaml("vigil-alerts.yml")["groups"] as? [[String: Any]])
        let rules = groups.flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        return Dictionary(uniqueKeysWithValues: rules.compactMap { rule in (rule["alert"] as? String).map { ($0, rule) } })
    }

    static func testFiles() throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: prometheusDirectory.appendingPathComponent("tests").path)
        return names.filter { $0.hasSuffix(".yml") }.sorted().map { "tests/\($0)" }
    }

    @Test("promtool loads the rules and the configuration, and every rule unit test passes")
    func promtoolPasses() throws {
        let check = try Self.promtool(["check", "rules"] + ["vigil-alerts.yml", "vigil-recording.yml"].map { Self.prometheusDirectory.appendingPathComponent($0).path })
        #expect(check.contains("SUCCESS: \(try Self.alerts().count) rules found"))
        _ = try Self.promtool(["check", "config", Self.prometheusDirectory.appendingPathComponent("prometheus.yml").path])
        let files = try Self.testFiles()
        #expect(!files.isEmpty, "no promtool unit tests in deploy/prometheus/tests")
        let tested = try Self.promtool(["test", "rules"] + files.map { Self.prometheusDirectory.appendingPathComponent($0).path })
        #expect(tested.contains("SUCCESS") && !tested.contains("FAILED"))
    }

    @Test("every alert has a unit test in which it fires and one in which it does not")
    func everyAlertIsTested() throws {
        var firing = Set<String>(), quiet = Set<String>()
        for file in try Self.testFiles() {
            for test in try Self.yaml(file)["tests"] as? [[String: Any]] ?? [] {
                for case let check as [String: Any] in test["alert_rule_test"] as? [Any] ?? [] {
                    guard let name = check["alertname"] as? String else { continue }
                    if (check["exp_alerts"] as? [Any] ?? []).isEmpty { quiet.insert(name) } else { firing.insert(name) }
                }
            }
        }
        let alerts = try Self.alerts()
        #expect(alerts.count >= 15)
        for name in alerts.keys.sorted() {
            #expect(firing.contains(name), "no unit test shows \(name) firing")
            #expect(quiet.contains(name), "no unit test shows \(name) not firing")
        }
        #expect(firing.union(quiet).subtracting(alerts.keys).isEmpty, "tests name alerts that do not exist: \(firing.union(quiet).subtracting(alerts.keys))")
    }

    @Test("every alert pages or tickets, says what is wrong, and links a runbook section of README.md that exists")
    func everyAlertHasARunbook() throws {
        let readme = try String(contentsOf: DeploymentTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        let headings = Set(readme.split(separator: "\n").filter { $0.hasPrefix("#### Vigil") }.map { String($0.dropFirst(5)) })
        for (name, rule) in try Self.alerts() {
            let labels = rule["labels"] as? [String: Any] ?? [:]
            #expect(["page", "ticket"].contains(labels["severity"] as? String), "\(name) has severity \(labels["severity"] ?? "none"), not page or ticket")
            let annotations = rule["annotations"] as? [String: String] ?? [:]
            #expect((annotations["summary"] ?? "").count > 20, "\(name) has no summary")
            #expect((annotations["description"] ?? "").count > 40, "\(name) has no description")
            #expect(annotations["runbook_url"] == "README.md#\(name.lowercased())", "\(name)'s runbook_url is not its README anchor")
            #expect(headings.contains(name), "README.md has no runbook section `#### \(name)`")
        }
    }
}

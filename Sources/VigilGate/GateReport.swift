import Foundation

extension GateVerdict {
    public var text: String {
        let ages = maxAge.map { ", verification no older than \($0)" } ?? ""
        var lines = [signOff ? "SIGN OFF: every check passed in the last \(window)\(ages)" : "BLOCKED: \(reasons.count) reason(s) in the last \(window)\(ages)"]
        for check in checks {
            lines.append("  [\(check.passed ? "ok" : "FAIL")] \(check.verifier) \(check.scope): \(check.detail)")
        }
        return lines.joined(separator: "\n")
    }

    public var json: String {
        let object: [String: Any] = [
            "verdict": signOff ? "sign_off" : "blocked", "window": window, "reasons": reasons, "max_age": maxAge ?? NSNull(),
            "checks": checks.map { check -> [String: Any] in
                var entry: [String: Any] = ["verifier": check.verifier, "scope": check.scope, "passed": check.passed, "detail": check.detail]
                if let age = check.age {
                    entry["check"] = "max_age"
                    entry["oldest_verification_seconds"] = age.oldestSeconds ?? NSNull()
                    entry["max_age_seconds"] = age.maxSeconds
                }
                return entry
            },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// JUnit XML: one test case per (verifier, scope), and one per scope's
    /// verification age (`SCOPE max-age`); every reason that blocks it is a failure of that case.
    public var junit: String {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var cases: [(verifier: String, scope: String, failures: [String])] = []
        for check in checks {
            let scope = check.age == nil ? check.scope : "\(check.scope) max-age"
            let i = cases.firstIndex { $0.verifier == check.verifier && $0.scope == scope } ?? {
                cases.append((check.verifier, scope, []))
                return cases.count - 1
            }()
            if !check.passed { cases[i].failures.append(check.detail) }
        }
        let failed = cases.filter { !$0.failures.isEmpty }.count
        var xml = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                   "<testsuites name=\"vigil-gate\" tests=\"\(cases.count)\" failures=\"\(failed)\">",
                   "  <testsuite name=\"vigil-gate\" tests=\"\(cases.count)\" failures=\"\(failed)\" errors=\"0\">"]
        for c in cases {
            let name = "<testcase classname=\"\(escape(c.verifier))\" name=\"\(escape(c.scope))\""
            if c.failures.isEmpty {
                xml.append("    \(name)/>")
            } else {
                xml.append("    \(name)>")
                for failure in c.failures {
                    xml.append("      <failure message=\"\(escape(failure))\" type=\"blocked\">\(escape(failure))</failure>")
                }
                xml.append("    </testcase>")
            }
        }
        xml += ["  </testsuite>", "</testsuites>"]
        return xml.joined(separator: "\n")
    }
}

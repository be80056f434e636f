import Foundation

extension GateVerdict {
    public var text: String {
        var lines = [signOff ? "SIGN OFF: every check passed in the last \(window)" : "BLOCKED: \(reasons.count) reason(s) in the last \(window)"]
        for check in checks {
            lines.append("  [\(check.passed ? "ok" : "FAIL")] \(check.verifier) \(check.scope): \(check.detail)")
        }
        return lines.joined(separator: "\n")
    }

    public var json: String {
        let object: [String: Any] = [
            "verdict": signOff ? "sign_off" : "blocked", "window": window, "reasons": reasons,
            "checks": checks.map { ["verifier": $0.verifier, "scope": $0.scope, "passed": $0.passed, "detail": $0.detail] },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    /// JUnit XML: one test case per verifier and scope (and per finding that blocks).
    public var junit: String {
        func escape(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var xml = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                   "<testsuites name=\"vigil-gate\" tests=\"\(checks.count)\" failures=\"\(reasons.count)\">",
                   "  <testsuite name=\"vigil-gate\" tests=\"\(checks.count)\" failures=\"\(reasons.count)\" errors=\"0\">"]
        for check in checks {
            let name = "<testcase classname=\"\(escape(check.verifier))\" name=\"\(escape(check.scope))\""
            if check.passed {
                xml.append("    \(name)/>")
            } else {
                xml.append("    \(name)>")
                xml.append("      <failure message=\"\(escape(check.detail))\" type=\"blocked\">\(escape(check.detail))</failure>")
                xml.append("    </testcase>")
            }
        }
        xml += ["  </testsuite>", "</testsuites>"]
        return xml.joined(separator: "\n")
    }
}

import Foundation
import VigilCore
import VigilFrontendClient
import VigilPostgres

extension DRT {
    /// Every error or critical finding seen since the run started, in every
    /// zone and the File Journal, split into those an injected fault explains
    /// (its own finding, or a subject its damage accounts for) and the rest.
    func precision(since runStart: Double, faults: [Injected]) async throws -> (explained: Int, unexplained: [UnexplainedFinding]) {
        var explained = 0
        var unexplained: [UnexplainedFinding] = []
        let sources = zones.map { ($0.zone.name, $0.zone.database) } + [("journal", cluster.journalDatabase)]
        for (name, url) in sources {
            let rows = try await PostgresConnection.connect(url: url).query("""
                SELECT verifier, kind, subject, severity, coalesce(details->>'detail', '') FROM findings
                WHERE severity IN ('error', 'critical') AND extract(epoch FROM last_seen) >= $1 ORDER BY first_seen
                """, [.float64(runStart)])
            for r in 0..<rows.count {
                let subject = try rows.string(r, 2), detail = try rows.string(r, 4)
                let accounted = faults.contains { fault in
                    guard name == "journal" || fault.detection.zone == name else { return false }
                    return ([fault.detection.subject] + fault.detection.explains).contains { Self.like(subject, $0) }
                        || fault.detection.explainsDetails.contains { Self.like(detail, $0) }
                }
                if accounted {
                    explained += 1
                } else {
                    unexplained.append(UnexplainedFinding(zone: name, verifier: try rows.string(r, 0), kind: try rows.string(r, 1), subject: subject, severity: try rows.string(r, 3)))
                }
            }
        }
        return (explained, unexplained)
    }

    /// SQL LIKE with `%` as its only wildcard (the patterns DRT writes use no `_` wildcard).
    static func like(_ text: String, _ pattern: String) -> Bool {
        let parts = pattern.split(separator: "%", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return text == pattern }
        guard text.hasPrefix(parts[0]), text.hasSuffix(parts.last!), text.count >= parts[0].count + parts.last!.count else { return false }
        var rest = Substring(text.dropFirst(parts[0].count).dropLast(parts.last!.count))
        for part in parts.dropFirst().dropLast() where !part.isEmpty {
            guard let range = rest.range(of: part) else { return false }
            rest = rest[range.upperBound...]
        }
        return true
    }

    /// Blocks DRT wrote (and neither deleted nor destroyed on purpose) that do
    /// not read back intact through their zone's frontend.
    func countLost() async throws -> Int {
        var lost = 0
        for context in zones {
            let frontend = FrontendClient(address: context.zone.frontend, token: cluster.frontendTokens?.admin ?? frontendToken)
            for key in Set(written[context.zone.name, default: []]).subtracting(destroyed) {
                if case .found(let data)? = try? await frontend.get(key), BlockKey.of(data) == key { continue }
                lost += 1
                log("LOST \(context.zone.name) \(key.hex)")
            }
        }
        return lost
    }
}

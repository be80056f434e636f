import Synchronization
import VigilTelemetry

/// What `/healthz` says: unhealthy, with the reason, while any stage cannot
/// consume Kafka, the frontend does not answer its reads, or the findings
/// database cannot record results.
final class WatcherHealth: Sendable {
    enum Problem: String, Sendable, CaseIterable {
        case kafka, frontend, database
    }

    private let problems = Mutex<[String: [Problem: String]]>([:])

    func set(_ problem: Problem, stage: String, _ message: String?) {
        problems.withLock { $0[stage, default: [:]][problem] = message }
    }

    func report() -> HealthReport {
        let lines = problems.withLock { all in
            all.sorted { $0.key < $1.key }.flatMap { stage, problems in
                Problem.allCases.compactMap { p in problems[p].map { "stage \(stage): \(p.rawValue): \($0)" } }
            }
        }
        return lines.isEmpty ? .ok : HealthReport(healthy: false, detail: lines.joined(separator: "\n"))
    }
}

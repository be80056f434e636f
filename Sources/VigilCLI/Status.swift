import ArgumentParser
import AsyncHTTPClient
import Foundation
import VigilDev
import VigilPostgres

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Each daemon (up or not, its current pass and ETA), each verifier's last full pass, open findings.")
    @OptionGroup var cluster: ClusterOptions

    func run() async throws {
        let file = try cluster.load()
        print("DAEMONS")
        for process in file.processes {
            var line = "\(process.name.padding(toLength: 34, withPad: " ", startingAt: 0)) "
            if !Processes.isAlive(process.pid) {
                line += "DOWN"
            } else if let health = process.health {
                line += await Self.health(health)
            } else {
                line += "up"
            }
            print(line)
        }
        for (name, url) in file.zones.map({ ($0.name, $0.database) }) + [("journal", file.journalDatabase)] {
            let c = try await PostgresConnection.connect(url: url)
            print("\n\(name.uppercased())")
            let passes = try await c.query("""
                SELECT verifier, scope, coalesce(to_char(max(finished_at) FILTER (WHERE state = 'complete'), 'YYYY-MM-DD HH24:MI:SS'), 'never'),
                       count(*) FILTER (WHERE state = 'complete')
                FROM passes GROUP BY verifier, scope ORDER BY verifier, scope
                """)
            for i in 0..<passes.count {
                print("  \(passes.string(i, 0)) \(passes.string(i, 1)): last full pass \(passes.string(i, 2)) (\(try passes.int(i, 3)) complete)")
            }
            let open = try await c.query("SELECT severity, count(*) FROM findings WHERE resolved_at IS NULL GROUP BY severity ORDER BY 1")
            let counts = try (0..<open.count).map { "\(try open.int($0, 1)) \(open.string($0, 0))" }
            print("  open findings: \(counts.isEmpty ? "none" : counts.joined(separator: ", "))")
        }
    }

    static func health(_ url: String) async -> String {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)),
              let body = try? await response.body.collect(upTo: 4096) else { return "not answering" }
        let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
        return response.status == .ok ? "up  \(text)" : "UNHEALTHY  \(text)"
    }
}

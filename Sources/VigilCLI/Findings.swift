import ArgumentParser
import Foundation
import VigilDev
import VigilPostgres
import VigilVerifier

struct Findings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show and resolve what the verifiers found.", subcommands: [List.self, Show.self, Resolve.self, Kinds.self])

    /// Which database: a zone's, or `--zone journal` for the cross-zone verifier's;
    /// as the operator's role, which reads every finding and alone may resolve one by hand.
    static func database(_ cluster: ClusterOptions) throws -> String {
        let file = try cluster.load()
        if cluster.zone == "journal" { return DatabaseRole.operator.url(file.journalDatabase) }
        return DatabaseRole.operator.url(try file.zone(cluster.zone).database)
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open findings (with --all, resolved ones too), newest first.")
        @OptionGroup var cluster: ClusterOptions
        @Flag(help: "Include resolved findings.") var all = false
        @Option(help: "Only this verifier.") var verifier: String?
        @Option(help: "Only this kind.") var kind: String?
        @Option(help: "text or json.") var format = "text"
        @Option(help: "At most this many.") var limit = 100

        func run() async throws {
            let c = try await PostgresConnection.connect(url: try Findings.database(cluster))
            let rows = try await c.query("""
                SELECT id, verifier, kind, severity, subject, to_char(first_seen, 'YYYY-MM-DD HH24:MI:SS'),
                       to_char(last_seen, 'YYYY-MM-DD HH24:MI:SS'), resolved_at IS NOT NULL, details::text
                FROM findings WHERE ($1 OR resolved_at IS NULL) AND ($2::text IS NULL OR verifier = $2) AND ($3::text IS NULL OR kind = $3)
                ORDER BY id DESC LIMIT $4
                """, [.bool(all), verifier.map { .text($0) } ?? .null, kind.map { .text($0) } ?? .null, .int64(Int64(limit))])
            if format == "json" {
                let items = try (0..<rows.count).map { i -> [String: Any] in
                    ["id": try rows.int64(i, 0), "verifier": rows.string(i, 1), "kind": rows.string(i, 2), "severity": rows.string(i, 3),
                     "subject": rows.string(i, 4), "first_seen": rows.string(i, 5), "last_seen": rows.string(i, 6),
                     "resolved": try rows.bool(i, 7),
                     "details": (try? JSONSerialization.jsonObject(with: Data(rows.string(i, 8).utf8))) ?? [:]]
                }
                print(String(decoding: try JSONSerialization.data(withJSONObject: items, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
                return
            }
            if rows.count == 0 { print(all ? "no findings" : "no open findings") }
            for i in 0..<rows.count {
                let state = try rows.bool(i, 7) ? "resolved" : rows.string(i, 3)
                print("\(try rows.int64(i, 0))\t\(state)\t\(rows.string(i, 1))\t\(rows.string(i, 2))\t\(rows.string(i, 4))\tlast seen \(rows.string(i, 6))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything about one finding.")
        @OptionGroup var cluster: ClusterOptions
        @Argument(help: "The finding's id.") var id: Int64

        func run() async throws {
            let c = try await PostgresConnection.connect(url: try Findings.database(cluster))
            let rows = try await c.query("""
                SELECT verifier, kind, severity, subject, scope, first_seen::text, last_seen::text, coalesce(resolved_at::text, ''),
                       coalesce(resolution, ''), jsonb_pretty(details) FROM findings WHERE id = $1
                """, [.int64(id)])
            guard rows.count == 1 else { throw CLIError("no finding \(id) in this database") }
            let labels = ["verifier", "kind", "severity", "subject", "scope", "first seen", "last seen", "resolved at", "resolution"]
            for (i, label) in labels.enumerated() where !rows.string(0, i).isEmpty {
                print("\(label.padding(toLength: 12, withPad: " ", startingAt: 0)) \(rows.string(0, i))")
            }
            print("details      \(rows.string(0, 9))")
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a finding resolved by hand, with a note saying why.")
        @OptionGroup var cluster: ClusterOptions
        @Argument(help: "The finding's id.") var id: Int64
        @Option(help: "Why it is resolved.") var note: String

        func run() async throws {
            let c = try await PostgresConnection.connect(url: try Findings.database(cluster))
            let updated = try await c.query(
                "UPDATE findings SET resolved_at = now(), resolution = $2 WHERE id = $1 AND resolved_at IS NULL",
                [.int64(id), .text(VerifierLedger.byHandPrefix + note)]).affectedRows
            guard updated == 1 else { throw CLIError("no open finding \(id)") }
            print("finding \(id) resolved")
        }
    }

    struct Kinds: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every kind of finding a verifier reports: its verifier, severity and meaning (Schemas/findings.md is this table).")
        @Option(help: "text or markdown.") var format = "text"

        func run() throws {
            guard ["text", "markdown"].contains(format) else { throw ValidationError("--format is text or markdown") }
            if format == "markdown" {
                print(FindingKind.markdownTable)
                return
            }
            for e in FindingKind.catalog {
                print("\(e.kind.rawValue.padding(toLength: 24, withPad: " ", startingAt: 0)) \(e.severity.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(e.verifier): \(e.meaning)")
            }
        }
    }
}

import ArgumentParser
import Foundation
import VigilDev
import VigilLedger
import VigilPostgres

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

    static func ledger(_ cluster: ClusterOptions) async throws -> LedgerReader {
        LedgerReader(try await PostgresConnection.connect(url: try database(cluster)))
    }

    static func time(_ epoch: Double) -> String { LedgerReader.timeText(epoch) }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open findings (with --all, resolved ones too), newest first.")
        @OptionGroup var cluster: ClusterOptions
        @Flag(help: "Include resolved findings.") var all = false
        @Option(help: "Only this verifier.") var verifier: String?
        @Option(help: "Only this kind.") var kind: String?
        @Option(help: "text or json.") var format = "text"
        @Option(help: "At most this many.") var limit = 100

        func run() async throws {
            let findings = try await Findings.ledger(cluster).findings(FindingFilter(
                window: all ? .all : .open, verifiers: verifier.map { [VerifierID(rawValue: $0)] },
                kinds: kind.map { [FindingKind(rawValue: $0)] }, limit: limit))
            if format == "json" {
                let items = findings.map { f -> [String: Any] in
                    ["id": f.id, "verifier": f.verifier.rawValue, "kind": f.kind.rawValue, "severity": f.severity.rawValue,
                     "subject": f.subject, "first_seen": Findings.time(f.firstSeen), "last_seen": Findings.time(f.lastSeen),
                     "resolved": !f.isOpen, "details": (try? JSONSerialization.jsonObject(with: Data(f.detailsJSON.utf8))) ?? [:]]
                }
                print(String(decoding: try JSONSerialization.data(withJSONObject: items, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
                return
            }
            if findings.isEmpty { print(all ? "no findings" : "no open findings") }
            for f in findings {
                print("\(f.id)\t\(f.isOpen ? f.severity.rawValue : "resolved")\t\(f.verifier)\t\(f.kind)\t\(f.subject)\tlast seen \(Findings.time(f.lastSeen))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Everything about one finding.")
        @OptionGroup var cluster: ClusterOptions
        @Argument(help: "The finding's id.") var id: Int64

        func run() async throws {
            guard let f = try await Findings.ledger(cluster).finding(id: id) else { throw CLIError("no finding \(id) in this database") }
            let fields: [(String, String)] = [
                ("verifier", f.verifier.rawValue), ("kind", f.kind.rawValue), ("severity", f.severity.rawValue), ("subject", f.subject),
                ("scope", f.scope.rawValue), ("first seen", Findings.time(f.firstSeen)), ("last seen", Findings.time(f.lastSeen)),
                ("resolved at", f.resolvedAt.map(Findings.time) ?? ""), ("resolution", f.resolution ?? ""),
            ]
            for (label, value) in fields where !value.isEmpty {
                print("\(label.padding(toLength: 12, withPad: " ", startingAt: 0)) \(value)")
            }
            let details = (try? JSONSerialization.jsonObject(with: Data(f.detailsJSON.utf8)))
                .flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.prettyPrinted, .sortedKeys]) }
            print("details      \(details.map { String(decoding: $0, as: UTF8.self) } ?? f.detailsJSON)")
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a finding resolved by hand, with a note saying why.")
        @OptionGroup var cluster: ClusterOptions
        @Argument(help: "The finding's id.") var id: Int64
        @Option(help: "Why it is resolved.") var note: String

        func run() async throws {
            guard try await Findings.ledger(cluster).resolveByHand(id: id, note: note) else { throw CLIError("no open finding \(id)") }
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

import ArgumentParser
import AsyncHTTPClient
import Foundation
import VigilDev
import VigilGate
import VigilLedger
import VigilPostgres

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Each daemon (up or not, its current pass and ETA); per verifier and scope its last complete pass, the next due, its oldest verification and its open findings by severity.",
        discussion: """
            The next pass is due one pass period (the zone's cadence profile, as the gate uses it) \
            after the last complete one; a scope with no complete pass for 1.5 periods (and at least \
            \(Int(StatusReport.overdueFloor)) s past due, so a busy dev cluster does not flap) is OVERDUE. \
            OLDEST VERIFIED is how long ago, at most, the oldest part of the scope's domain was \
            verified: since its last complete pass started (a running pass has not yet reached \
            part of it); `never` when no pass completed.
            """)
    @OptionGroup var cluster: ClusterLocation
    @Flag(help: "Print the status as JSON.") var json = false

    /// Reads as the operator's role, as `vigil findings` does: it sees every row and changes none.
    func run() async throws {
        let file = try cluster.load()
        var report = StatusReport()
        for process in file.processes {
            var state: (String, String?) = ("up", nil)
            if !Processes.isAlive(process.pid) {
                state = ("down", nil)
            } else if let health = process.health {
                state = await Self.health(health)
            }
            report.daemons.append(.init(name: process.name, state: state.0, health: state.1))
        }
        var journalProfile = file.profile
        for (i, zone) in file.zones.enumerated() {
            let c = try await PostgresConnection.connect(url: DatabaseRole.operator.url(zone.database))
            let profile = try await ZoneTopology.load(c)?.profile ?? file.profile
            if i == 0 { journalProfile = profile }
            report.databases.append(try await StatusReport.Database.read(c, name: zone.name, profile: profile))
        }
        let journal = try await PostgresConnection.connect(url: DatabaseRole.operator.url(file.journalDatabase))
        report.databases.append(try await StatusReport.Database.read(journal, name: "journal", profile: journalProfile))
        if json { try printJSON(report) } else { print(report.text, terminator: "") }
    }

    /// The daemon's `/healthz`: up, unhealthy or not answering, and what it says.
    static func health(_ url: String) async -> (String, String?) {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)),
              let body = try? await response.body.collect(upTo: 4096) else { return ("not answering", nil) }
        let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
        return (response.status == .ok ? "up" : "unhealthy", text)
    }
}

/// What `vigil status` shows, and its `--json`.
struct StatusReport: Encodable {
    /// Seconds past its due time before a pass counts as overdue, whatever the profile.
    static let overdueFloor = 30.0

    struct Daemon: Encodable {
        var name: String
        /// up, down, unhealthy or not answering.
        var state: String
        var health: String?
    }

    struct Scope: Encodable {
        var verifier: String
        var scope: String
        var complete_passes = 0
        /// ISO 8601; nil when no pass completed.
        var last_complete_pass: String?
        /// One pass period after the last complete pass; nil without one, or for a non-verifier.
        var next_due: String?
        var overdue = false
        /// ISO 8601: every part of the scope's domain was verified at or after it (its last complete pass's start); nil: never.
        var verified_since: String?
        /// Seconds since then, by the database's clock; nil: never verified.
        var oldest_verification_age_seconds: Double?
        var open_findings: [String: Int] = [:]
    }

    struct Database: Encodable {
        var name: String
        var profile: String
        var scopes: [Scope]
        var open_findings: [String: Int]

        /// Every (verifier, scope) with a pass or an open finding in the database's ledger.
        static func read(_ c: PostgresConnection, name: String, profile: String) async throws -> Database {
            let ledger = LedgerReader(c)
            let now = try await ledger.now()
            var scopes: [String: Scope] = [:]
            for pass in try await ledger.passSummaries() {
                var s = Scope(verifier: pass.verifier.rawValue, scope: pass.scope.rawValue, complete_passes: pass.completePasses)
                if let last = pass.lastCompleteFinishedAt {
                    s.last_complete_pass = iso(last)
                    if let period = GateCadence.passPeriod(pass.verifier, profile: profile) {
                        s.next_due = iso(last + period)
                        s.overdue = now > last + max(1.5 * period, period + StatusReport.overdueFloor)
                    }
                }
                scopes["\(s.verifier)\t\(s.scope)"] = s
            }
            for age in try await ledger.verificationAges() {
                scopes["\(age.verifier.rawValue)\t\(age.scope.rawValue)"]?.verified_since = age.verifiedSince.map(iso)
                scopes["\(age.verifier.rawValue)\t\(age.scope.rawValue)"]?.oldest_verification_age_seconds = age.oldestSeconds
            }
            var total: [String: Int] = [:]
            for open in try await ledger.openFindingCounts() {
                let key = "\(open.verifier)\t\(open.scope)", severity = open.severity.rawValue
                scopes[key, default: Scope(verifier: open.verifier.rawValue, scope: open.scope.rawValue)].open_findings[severity, default: 0] += open.count
                total[severity, default: 0] += open.count
            }
            return Database(name: name, profile: profile, scopes: scopes.keys.sorted().map { scopes[$0]! }, open_findings: total)
        }

        /// ISO 8601 in UTC with milliseconds: a 0.5 s period stays visible.
        static func iso(_ epoch: Double) -> String {
            Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(Date(timeIntervalSince1970: epoch))
        }
    }

    var daemons: [Daemon] = []
    var databases: [Database] = []

    var text: String {
        var out = "DAEMONS\n"
        for d in daemons {
            out += "  \(pad(d.name, 34)) \(d.state == "up" ? "up" : d.state.uppercased())\(d.health.map { "  \($0)" } ?? "")\n"
        }
        for db in databases {
            out += "\n\(db.name.uppercased())  (profile \(db.profile))\n"
            out += "  \(pad("VERIFIER", 20)) \(pad("SCOPE", 16)) \(pad("LAST COMPLETE PASS", 21)) \(pad("NEXT DUE", 30)) \(pad("OLDEST VERIFIED", 16)) OPEN FINDINGS\n"
            for s in db.scopes {
                let due = s.next_due.map { "\(seconds($0))\(s.overdue ? " OVERDUE" : "")" } ?? (s.last_complete_pass == nil ? "first pass pending" : "-")
                let age = s.oldest_verification_age_seconds.map { "\(Gate.describeAge($0)) ago" } ?? (VerifierID.verifiers.map(\.rawValue).contains(s.verifier) ? "never" : "-")
                out += "  \(pad(s.verifier, 20)) \(pad(s.scope, 16)) \(pad(s.last_complete_pass.map(seconds) ?? "never", 21)) \(pad(due, 30)) \(pad(age, 16)) \(Self.describe(s.open_findings))\n"
            }
            out += "  open findings: \(Self.describe(db.open_findings))\n"
        }
        return out
    }

    /// `2 critical, 1 warning`, most severe first; `none`.
    static func describe(_ counts: [String: Int]) -> String {
        let order = Finding.Severity.bySeverity.map(\.rawValue)
        let parts = counts.sorted { (order.firstIndex(of: $0.key) ?? 9, $0.key) < (order.firstIndex(of: $1.key) ?? 9, $1.key) }
        return parts.isEmpty ? "none" : parts.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
    }

    /// `2026-11-25T03:07:55Z`: the text shows whole seconds.
    private func seconds(_ iso: String) -> String { iso.count > 20 ? "\(iso.prefix(19))Z" : iso }

    private func pad(_ s: String, _ width: Int) -> String { s.count >= width ? s : s.padding(toLength: width, withPad: " ", startingAt: 0) }
}

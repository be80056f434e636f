import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilCore
import VigilDev
import VigilTestSupport

/// The cross-zone verifier in production is paced by the runtime's
/// deadline-driven pacing, per shard, as the metadata scanner is.
@Suite("Cross-zone pacing", .serialized, .timeLimit(.minutes(3)))
struct CrossZonePacingTests {
    /// The value of the `name` sample labelled with `scope` in a daemon's `/metrics`.
    static func sample(_ port: Int, _ name: String, scope: String) async -> Double? {
        guard let (data, _) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!) else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix(name + "{") && $0.contains("scope=\"\(scope)\"") }
            .flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
    }

    @Test("a production shard's pass is paced to a week: its deadline and rate (the floor, for a small journal) are in /metrics under its scope, the deadline reachable")
    func productionShardIsPaced() async throws {
        try await CrossZoneShardTests.withJournalAndZone { journalURL, zoneURL in
            let directory = try makeTemporaryDirectory("vigil-cz-pacing")
            defer { try? FileManager.default.removeItem(at: directory) }
            let port = try freeLoopbackPort()
            let pid = try Processes.spawn(
                ["\(Processes.executableDirectory)/vigil-cross-zone-verifier", "--journal", journalURL, "--zone", "zone-a=\(zoneURL)",
                 "--shard", "2/2", "--port", "\(port)"], log: directory.appendingPathComponent("cross-zone.log").path)
            defer { killProcess(pid) }
            let scope = "global/shard-2-of-2"
            var deadline: Double?
            #expect(await eventually(timeout: .seconds(60), interval: .milliseconds(200)) {
                // The gauge is exported (0) from the daemon's start; the plan is in it once the pass is sized.
                deadline = await Self.sample(port, "vigil_pass_deadline_timestamp_seconds", scope: scope)
                return (deadline ?? 0) > 0
            }, "no pacing plan in /metrics")
            let week = 7.0 * 86_400, now = Date().timeIntervalSince1970
            #expect(deadline.map { abs($0 - (now + week)) < 120 } == true, "deadline \(deadline ?? 0) is not a week from now")
            #expect(await Self.sample(port, "vigil_pass_rate_per_second", scope: scope) == 100)
            #expect(await Self.sample(port, "vigil_pass_deadline_unreachable", scope: scope) == 0)
        }
    }
}

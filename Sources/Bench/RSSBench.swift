import Foundation
import VigilCore
import VigilDev
import VigilPostgres

/// Peak RSS of each verifier that reads the block index, at two index sizes:
/// each runs as its own process (dev profile, so a pass runs at full speed)
/// until it completes a whole pass, then its `VmHWM` is read. Memory must stay
/// flat: every verifier streams, none holds the index.
enum RSSBench {
    static func run(directory: URL, sizes: [Int]) async throws {
        for blocks in sizes {
            let fixture = try await IndexFixture.start(in: directory.appendingPathComponent("rss-\(blocks)"), blocks: blocks, journal: true)
            defer { fixture.stop() }
            for verifier in verifiers(fixture) {
                let peak = try await peakRSS(fixture, verifier)
                figure("peak_rss_mib_\(verifier.name.replacingOccurrences(of: "-", with: "_"))_\(blocks / 1_000_000)m_blocks", Double(peak) / 1024, "MiB")
            }
        }
    }

    struct Verifier {
        var name: String
        var arguments: [String]
        /// The database whose `passes` table records its passes.
        var ledger: String
    }

    static func verifiers(_ f: IndexFixture) -> [Verifier] {
        let journal = f.postgres.url(database: "journal")
        return [
            Verifier(name: "metadata-scanner", arguments: ["--zone", "bench", "--database", f.url, "--node-token-file", f.readerTokenFile], ledger: f.url),
            Verifier(name: "disk-scrubber", arguments: ["--zone", "bench", "--node-id", "1", "--data-dir", f.nodeDirectory(1), "--database", f.url], ledger: f.url),
            Verifier(name: "extent-referee", arguments: ["--zone", "bench", "--node-id", "1", "--data-dir", f.nodeDirectory(1), "--database", f.url], ledger: f.url),
            Verifier(name: "trash-inspector", arguments: [
                "--zone", "bench", "--database", f.url, "--node-token-file", f.readerTokenFile, "--work-dir", f.directory.appendingPathComponent("inspector").path,
            ], ledger: f.url),
            Verifier(name: "cross-zone-verifier", arguments: ["--journal", journal, "--zone", "bench=\(f.url)"], ledger: journal),
        ]
    }

    /// Runs the verifier until it completes a pass; returns its peak RSS in KiB.
    static func peakRSS(_ f: IndexFixture, _ v: Verifier) async throws -> Int {
        let port = try freeLoopbackPort()
        let pid = try Processes.spawn(
            ["\(Processes.executableDirectory)/vigil-\(v.name)"] + v.arguments + ["--profile", "dev", "--port", "\(port)", "--log-level", "warning"],
            log: f.directory.appendingPathComponent("\(v.name).log").path)
        do {
            let kib = try await waitForPass(f, v, pid: pid)
            await Processes.terminate(pid)
            return kib
        } catch {
            await Processes.terminate(pid)
            throw error
        }
    }

    static func waitForPass(_ f: IndexFixture, _ v: Verifier, pid: Int32) async throws -> Int {
        let db = try await PostgresConnection.connect(url: v.ledger)
        let deadline = ContinuousClock.now + .seconds(600)
        while try await db.query("SELECT count(*) FROM passes WHERE verifier = $1 AND state = 'complete'", [.text(v.name)]).int(0, 0) == 0 {
            guard Processes.isAlive(pid) else { throw DevClusterError("vigil-\(v.name) exited; see \(f.directory.path)/\(v.name).log") }
            guard ContinuousClock.now < deadline else { throw DevClusterError("vigil-\(v.name) did not complete a pass in 10 minutes") }
            try await Task.sleep(for: .milliseconds(200))
        }
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first ?? "")
        else { throw DevClusterError("no VmHWM in /proc/\(pid)/status") }
        return kib
    }
}

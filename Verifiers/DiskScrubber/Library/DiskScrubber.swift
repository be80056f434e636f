import Foundation
import VigilCore
import VigilPostgres
import VigilVerifier

/// Reads every byte of every extent of one node, active and trash, straight from
/// its data directory, and verifies every record: CRCs, SHA-256 = key, footer.
/// One extent per step; the cursor is the last extent checked.
public struct DiskScrubber: SweepCheck {
    public let config: DiskScrubberConfig
    let index: BlockIndex
    let directory: ExtentDirectory

    public init(config: DiskScrubberConfig, pool: PostgresPool) {
        self.config = config
        index = BlockIndex(pool: pool)
        directory = ExtentDirectory(root: config.dataDirectory)
    }

    /// The bytes of the pass's listing (made at the start of the pass, kept to its end).
    public func estimatePass() async throws -> PassEstimate {
        PassEstimate(units: Double(try await directory.passFiles().reduce(0) { $0 + $1.size }), unit: .bytes)
    }

    /// Where a sweep is: the last extent file it checked (`extents/NAME` or `trash/NAME`).
    public struct Cursor: Codable, Sendable, Equatable {
        public var lastChecked: String
    }

    public func step(at cursor: Cursor?, limiter: SharedRateLimiter) async throws -> Step<Cursor> {
        let after = cursor?.lastChecked ?? ""
        guard let next = try await directory.passFiles().first(where: { $0.path > after }) else {
            directory.endPass()
            var done = StepOutcome()
            done.cleanPrefixes = try await subjectsOfVanishedFiles()
            return .complete(done)
        }
        return .next(Cursor(lastChecked: next.path), try await scan(next.path, limiter: limiter))
    }

    /// Verifies one extent file (`extents/NAME` or `trash/NAME`): its records
    /// (CRCs, SHA-256 = key, footer) and its identity (the header names the
    /// volume and generation its file name does; its records are that volume's).
    /// Each kind of damage in an extent is one finding, its details counting the
    /// records it affects; it stays open until a scan of that file finds it gone.
    func scan(_ relativePath: String, limiter: SharedRateLimiter) async throws -> StepOutcome {
        var outcome = StepOutcome()
        let parts = relativePath.split(separator: "/")
        guard parts.count == 2, let name = ExtentName(parts[1]) else { return outcome }
        let location = String(parts[0])
        let subject = "node/\(config.nodeID)/\(relativePath)"
        let context = FindingContext(config: config, name: name, location: location, subject: subject)
        guard let volumeID = Int64(exactly: name.volume) else {
            // No index can hold such a volume (the index's ids are signed 64-bit).
            outcome.items = 1
            outcome.findings.append(context.finding(.extentIdentity, severity: .critical, count: 1, offsets: [0], key: nil,
                                                    detail: "the name names volume \(name.volume), beyond any volume id the index can hold"))
            outcome.observedSubjects.append(subject)
            return outcome
        }
        // Read before the file is opened, compared again before accusing.
        let rowBefore = try await replicaRow(volumeID)
        let volume = try await index.volume(volumeID)
        var options = ExtentScanOptions()
        if location == "extents", let volume { options.expectSealed = volume.state == "sealed" ? true : nil }
        let path = "\(config.dataDirectory)/\(relativePath)"
        let scanned: (report: ExtentScanReport, keys: [BlockKey], sealingNow: Bool, opened: FileStatus)
        do {
            let scanOptions = options
            scanned = try await blockingIO {
                var keys: [BlockKey] = []
                let reader = try ExtentReader(path: path)
                let opened = try reader.fileStatus()
                let report = try reader.scan(
                    options: scanOptions, onRead: { limiter.throttle($0) }, onRecord: { if $0.isIntact { keys.append($0.key) } })
                return (report, keys, report.hasUnfinishedSeal && Self.modifiedWithin(path, seconds: 60), opened)
            }
        } catch let error as FileIOError where error.isNotFound {
            // Trashed, unlinked or replaced under us: not a corruption, and the damage
            // found in this file is gone with it (a repair trashes the bad copy).
            outcome.cleanPrefixes.append(subject)
            return outcome
        } catch let error as FileIOError {
            outcome.findings.append(context.finding(.unreadable, severity: .error, count: 1, offsets: [0], key: nil, detail: error.description))
            outcome.observedSubjects.append(subject)
            if location == "extents" { outcome.repairs.insert(repair(name, "unreadable")) }
            return outcome
        }
        let report = scanned.report
        outcome.items = 1
        outcome.bytes = Int(report.fileSize)
        if scanned.sealingNow {
            // The node is sealing it now (header written, footer on its way):
            // not judged this time; a seal a crash left unfinished stays and is reported.
            return outcome
        }
        var findings = context.findings(for: report)
        findings += try await identityFindings(report, keys: scanned.keys, volume: volume, volumeID: volumeID, row: rowBefore, context: context)
        if location == "trash", !findings.isEmpty,
           try await index.replacedByRepair(node: config.nodeID, volume: volumeID, generation: Int(name.generation)) {
            // A copy a repair replaced: its damage is why (reported while it was
            // live); the trash inspector judges whether anything in it is needed.
            findings = []
        }
        if !findings.isEmpty {
            // Re-read before accusing: a file a repair, GC or drain moved, or a
            // replica row that changed while the file was read, is not judged now.
            switch try await scanStillStands(path: path, opened: scanned.opened, volume: volumeID, rowBefore: rowBefore) {
            case nil:
                outcome.cleanPrefixes.append(subject)
                return outcome
            case false?:
                return outcome
            case true?:
                break
            }
        }
        outcome.observedSubjects.append(subject)
        outcome.findings = findings
        if findings.isEmpty {
            outcome.cleanPrefixes.append(subject)
        } else if location == "extents" {
            outcome.repairs.insert(repair(name, Set(findings.map(\.kind)).sorted().joined(separator: ",")))
        }
        return outcome
    }

    /// Open findings' subjects whose file no longer exists (trashed by a repair,
    /// unlinked): the damage left with the file; resolved at the end of a pass.
    func subjectsOfVanishedFiles() async throws -> [String] {
        let prefix = "node/\(config.nodeID)/"
        let subjects = try await index.pool.withConnection { [config] c in
            let rows = try await c.query(
                "SELECT DISTINCT subject FROM findings WHERE verifier = 'disk-scrubber' AND scope = $1 AND resolved_at IS NULL", [.text(config.scope)])
            return (0..<rows.count).map { rows.string($0, 0) }
        }
        let paths = Set(subjects.compactMap { subject -> String? in
            guard subject.hasPrefix(prefix) else { return nil }
            let parts = subject.dropFirst(prefix.count).split(separator: "/")
            guard parts.count >= 2, ["extents", "trash"].contains(parts[0]), ExtentName(parts[1]) != nil else { return nil }
            return "\(parts[0])/\(parts[1])"
        })
        return try await directory.missing(paths.sorted()).map { prefix + $0 }
    }

    static func modifiedWithin(_ path: String, seconds: Double) -> Bool {
        guard let status = try? FileStatus.of(path: path) else { return false }
        return Date().timeIntervalSince1970 - Double(status.modifiedNanos) / 1e9 < seconds
    }

    private func repair(_ name: ExtentName, _ kinds: String) -> RepairNeed {
        RepairNeed(volume: Int64(name.volume), node: config.nodeID, generation: Int(name.generation), reason: "disk-scrubber: \(kinds) in \(name)")
    }
}

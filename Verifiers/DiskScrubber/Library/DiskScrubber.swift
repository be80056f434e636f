import Foundation
import VigilCore
import VigilPostgres
import VigilVerifier

/// Reads every byte of every extent of one node, active and trash, straight from
/// its data directory, and verifies every record: CRCs, SHA-256 = key, footer.
/// One extent per step; the cursor is the last extent checked.
public struct DiskScrubber: VerifierCheck {
    public let config: DiskScrubberConfig
    let index: BlockIndex

    public init(config: DiskScrubberConfig, pool: PostgresPool) {
        self.config = config
        index = BlockIndex(pool: pool)
    }

    /// Every extent file as `extents/NAME` or `trash/NAME`, sorted.
    func extentFiles() -> [(path: String, size: UInt64, mtime: Date)] {
        var out: [(String, UInt64, Date)] = []
        for location in ["extents", "trash"] {
            let directory = "\(config.dataDirectory)/\(location)"
            for file in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where ExtentName(file) != nil {
                let attributes = try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(file)")
                out.append(("\(location)/\(file)", (attributes?[.size] as? NSNumber)?.uint64Value ?? 0,
                            attributes?[.modificationDate] as? Date ?? .distantPast))
            }
        }
        return out.sorted { $0.0 < $1.0 }
    }

    public func estimatePass() async throws -> PassEstimate {
        PassEstimate(units: Double(extentFiles().reduce(0) { $0 + $1.size }), unit: .bytes)
    }

    public func step(from cursor: [UInt8], limiter: SharedRateLimiter) async throws -> StepOutcome {
        let after = String(decoding: cursor, as: UTF8.self)
        guard let next = extentFiles().first(where: { $0.path > after }) else {
            return StepOutcome(cursor: cursor, passComplete: true)
        }
        var outcome = try await scan(next.path, limiter: limiter)
        outcome.cursor = Array(next.path.utf8)
        return outcome
    }

    /// Verifies one extent file (`extents/NAME` or `trash/NAME`).
    func scan(_ relativePath: String, limiter: SharedRateLimiter) async throws -> StepOutcome {
        var outcome = StepOutcome(cursor: [], passComplete: false)
        let parts = relativePath.split(separator: "/")
        guard parts.count == 2, let name = ExtentName(parts[1]) else { return outcome }
        let location = String(parts[0])
        var options = ExtentScanOptions()
        if location == "extents", let volume = try await index.volume(Int64(name.volume)) {
            options.expectSealed = volume.state == "sealed" ? true : nil
        }
        let path = "\(config.dataDirectory)/\(relativePath)"
        let subject = "node/\(config.nodeID)/\(relativePath)"
        let report: ExtentScanReport
        do {
            let scanOptions = options
            report = try await blockingIO { try ExtentReader(path: path).scan(options: scanOptions, onRead: { limiter.throttle($0) }) }
        } catch let error as FileIOError where error.isNotFound {
            return outcome  // trashed, unlinked or replaced under us: not a corruption
        } catch let error as FileIOError {
            outcome.findings.append(finding(.unreadable, subject: "\(subject)/offset/0", name: name, location: location, offset: 0, key: nil, detail: error.description))
            if location == "extents" { outcome.repairs.insert(repair(name, "unreadable")) }
            return outcome
        }
        outcome.items = 1
        outcome.bytes = Int(report.fileSize)
        if report.isClean {
            outcome.cleanPrefixes.append(subject + "/")
            return outcome
        }
        for problem in report.problems {
            outcome.findings.append(finding(
                problem.kind, subject: "\(subject)/offset/\(problem.offset)", name: name, location: location,
                offset: problem.offset, key: problem.key, detail: problem.detail))
        }
        if location == "extents" {
            outcome.repairs.insert(repair(name, Set(report.problems.map(\.kind.rawValue)).sorted().joined(separator: ",")))
        }
        return outcome
    }

    private func repair(_ name: ExtentName, _ kinds: String) -> RepairNeed {
        RepairNeed(volume: Int64(name.volume), node: config.nodeID, reason: "disk-scrubber: \(kinds) in \(name)")
    }

    private func finding(
        _ kind: ExtentProblem.Kind, subject: String, name: ExtentName, location: String, offset: UInt64, key: BlockKey?, detail: String
    ) -> Finding {
        var details = [
            "zone": config.zone, "node": "\(config.nodeID)", "extent": name.description, "location": location,
            "volume": "\(name.volume)", "offset": "\(offset)", "detail": detail,
        ]
        if let key { details["key"] = key.hex }
        let critical: Set<ExtentProblem.Kind> = [.keyMismatch, .truncatedTail, .badExtentHeader]
        return Finding(kind: kind.rawValue, subject: subject, severity: critical.contains(kind) ? .critical : .error, details: details)
    }
}

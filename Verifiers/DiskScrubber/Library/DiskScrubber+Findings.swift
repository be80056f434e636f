import VigilCore
import VigilPostgres
import VigilVerifier

extension ExtentProblem.Kind {
    /// The header names another volume or generation than the file name, or the
    /// records are not the volume's: valid bytes in the wrong place.
    static let extentIdentity = ExtentProblem.Kind(rawValue: "extent_identity")
}

/// Builds the scrubber's findings about one extent file: one per kind of damage.
struct FindingContext {
    let config: DiskScrubberConfig
    let name: ExtentName
    let location: String
    let subject: String

    /// How many offsets a finding names; the rest are counted.
    static let offsetsNamed = 8

    func finding(
        _ kind: ExtentProblem.Kind, severity: Finding.Severity, count: Int, offsets: [UInt64], key: BlockKey?, detail: String
    ) -> Finding {
        var details = [
            "zone": config.zone, "node": "\(config.nodeID)", "extent": name.description, "location": location,
            "volume": "\(name.volume)", "count": "\(count)", "offset": "\(offsets.first ?? 0)",
            "offsets": offsets.prefix(Self.offsetsNamed).map(String.init).joined(separator: ","), "detail": detail,
        ]
        if let key { details["key"] = key.hex }
        return Finding(kind: kind.rawValue, subject: subject, severity: severity, details: details)
    }

    /// One finding per kind of problem the scan reported, in the order first met.
    func findings(for report: ExtentScanReport) -> [Finding] {
        let critical: Set<ExtentProblem.Kind> = [.keyMismatch, .truncatedTail, .badExtentHeader]
        var order: [ExtentProblem.Kind] = []
        var byKind: [ExtentProblem.Kind: [ExtentProblem]] = [:]
        for problem in report.problems {
            if byKind[problem.kind] == nil { order.append(problem.kind) }
            byKind[problem.kind, default: []].append(problem)
        }
        return order.map { kind in
            let problems = byKind[kind]!
            // Problems past the report's cap are counted in the total, not by kind.
            let count = problems.count + (order.count == 1 ? report.problemCount - report.problems.count : 0)
            return finding(
                kind, severity: critical.contains(kind) ? .critical : .error, count: count,
                offsets: problems.map(\.offset), key: problems.first?.key,
                detail: count == 1 ? problems[0].detail : "\(problems[0].detail) (and \(count - 1) more)")
        }
    }
}

extension DiskScrubber {
    /// The extent's identity: its header names the volume and generation its
    /// file name does; an extent in extents/ is a live replica the index places
    /// on this node (or one an instruction is placing or taking out), of the
    /// generation the index names; and — for a volume the index still serves —
    /// its records are blocks the index places in that volume. `row` is this
    /// node's replica row, read before the file was opened.
    func identityFindings(
        _ report: ExtentScanReport, keys: [BlockKey], volume: VolumeRecord?, volumeID: Int64, row: ReplicaRowSnapshot?, context: FindingContext
    ) async throws -> [Finding] {
        let name = context.name
        func identity(_ count: Int, _ key: BlockKey?, _ detail: String) -> [Finding] {
            [context.finding(.extentIdentity, severity: .critical, count: count, offsets: [0], key: key, detail: detail)]
        }
        if let header = report.header, header.volume != name.volume || header.generation != name.generation {
            return identity(1, nil, "the header says v\(header.volume).g\(header.generation): this file holds another extent's bytes")
        }
        guard context.location == "extents" else { return [] }
        guard let row, row.state == "live" else {
            // A repair rebuilding it, or a node the index wrote off: not this check's to judge.
            if row?.state == "repairing" || row?.state == "lost" { return [] }
            if try await presenceInstructed(name, volume: volumeID) { return [] }
            return identity(1, nil, "the index holds no live replica of volume \(volumeID) on this node (\(row.map { "its replica is \($0.state)" } ?? "no replica row")) and no instruction placed it here")
        }
        if row.generation != Int(name.generation) {
            return identity(1, nil, "the index says this node holds generation \(row.generation) of volume \(volumeID), not \(name.generation): a stale extent")
        }
        guard let volume, volume.state != "retired", !keys.isEmpty else { return [] }
        // A record may legitimately point elsewhere (a block written again after a
        // delete, a duplicate write that lost its commit) or nowhere (a write that
        // never committed). An extent none of whose records are its volume's, while
        // the index says the volume holds live blocks, is not that volume's extent:
        // every committed block of a volume is on every live replica. Keys the index
        // does not know count against it once the volume takes no more writes (an
        // open volume's first committed write may land after this scan).
        let placement = try await index.placement(of: keys, volume: volume.id)
        guard placement.inVolume == 0, placement.volumeHoldsLiveBlocks, placement.elsewhere > 0 || volume.state != "open" else { return [] }
        let unknown = keys.count - placement.elsewhere
        return identity(
            keys.count, keys.first,
            "none of its \(keys.count) records is a block the index places in volume \(volume.id); \(placement.elsewhere) belong to other volumes, \(unknown) to none")
    }
}

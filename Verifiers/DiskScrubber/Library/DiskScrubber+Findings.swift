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
    /// file name does, and — for a live extent of a volume the index still
    /// serves — its records are blocks the index places in that volume.
    func identityFindings(_ report: ExtentScanReport, keys: [BlockKey], volume: VolumeRecord?, context: FindingContext) async throws -> [Finding] {
        var findings: [Finding] = []
        let name = context.name
        if let header = report.header, header.volume != name.volume || header.generation != name.generation {
            findings.append(context.finding(
                .extentIdentity, severity: .critical, count: 1, offsets: [0], key: nil,
                detail: "the header says v\(header.volume).g\(header.generation): this file holds another extent's bytes"))
        }
        guard findings.isEmpty, context.location == "extents", let volume, volume.state != "retired" else { return findings }
        // The index's replica row for this node names the generation it holds.
        if let row = try await index.replicas(of: volume.id).first(where: { $0.node.id == config.nodeID && $0.state == "live" }),
           row.generation != Int(name.generation) {
            findings.append(context.finding(
                .extentIdentity, severity: .critical, count: 1, offsets: [0], key: nil,
                detail: "the index says this node holds generation \(row.generation) of volume \(volume.id), not \(name.generation): a stale extent"))
            return findings
        }
        guard !keys.isEmpty else { return findings }
        // A record may legitimately point elsewhere (a block written again after a
        // delete, a duplicate write that lost its commit); an extent none of whose
        // records are its volume's, while the index says the volume holds blocks, is
        // not that volume's extent.
        let placement = try await index.placement(of: keys, volume: volume.id)
        if placement.inVolume == 0, placement.elsewhere > 0, placement.volumeHoldsLiveBlocks {
            findings.append(context.finding(
                .extentIdentity, severity: .critical, count: placement.elsewhere, offsets: [0], key: keys.first,
                detail: "none of its \(keys.count) records is a block the index places in volume \(volume.id); \(placement.elsewhere) belong to other volumes"))
        }
        return findings
    }
}

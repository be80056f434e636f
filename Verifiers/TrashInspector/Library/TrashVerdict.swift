import VigilCore

/// The verdict on one trash extent, from what its copy holds and what each of
/// its keys was judged: a pure value, so the rules read in one place.
struct TrashVerdict: Sendable {
    enum Decision: Sendable, Equatable { case passed, failed, notJudged }

    /// Why the extent cannot pass: its own problems (no key) first, then keys.
    var failures: [(key: BlockKey?, reason: String)] = []
    var failureCount = 0
    var blocksChecked = 0
    var deleted = 0
    var neverCommitted = 0
    var liveElsewhere = 0
    var notJudged = 0

    /// A definite failure wins over an unanswered peer: damage already observed
    /// stays observed. Without one, any unanswered peer leaves it unjudged.
    var decision: Decision {
        if failureCount > 0 { return .failed }
        return notJudged > 0 ? .notJudged : .passed
    }

    init(contents: TrashExtentContents, verdicts: [BlockKey: KeyVerdict], peersAnswered: Bool) {
        blocksChecked = contents.keys.count
        failures = contents.problems.map { (nil, "extent does not parse: \($0)") }
        failureCount = contents.problemCount
        for key in contents.keys.sorted(by: { $0.hex < $1.hex }) {
            switch verdicts[key] ?? .notJudged {
            case .deleted: deleted += 1
            case .neverCommitted: neverCommitted += 1
            case .liveElsewhere: liveElsewhere += 1
            case .notJudged: notJudged += 1
            case .failed(let reason):
                failureCount += 1
                failures.append((key, reason))
            }
        }
        if !peersAnswered && notJudged == 0 { notJudged = 1 }  // a peer failed us: never a pass
    }

    /// The finding's details: counts, and the first few failures with their reasons.
    func details(zone: String, node: Int, name: ExtentName) -> [String: String] {
        var details = [
            "zone": zone, "node": "\(node)", "extent": name.description, "volume": "\(name.volume)",
            "blocks_checked": "\(blocksChecked)", "failures": "\(failureCount)", "deleted": "\(deleted)",
            "never_committed": "\(neverCommitted)", "live_verified": "\(liveElsewhere)", "not_judged": "\(notJudged)",
        ]
        if let first = failures.first {
            details["key"] = first.key?.hex ?? "-"
            details["detail"] = first.reason
        }
        details["first_failures"] = failures.prefix(5).map { "\($0.key?.hex ?? "extent"): \($0.reason)" }.joined(separator: "\n")
        return details
    }
}

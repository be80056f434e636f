import VigilCore

/// What a trash extent holds, read from a local copy, and everything that keeps
/// it from parsing completely. An extent with any problem fails inspection: what
/// cannot be read cannot be proven to hold nothing of value.
struct TrashExtentContents: Sendable {
    /// The keys judged: every record with a trustworthy header (intact or not),
    /// united with every entry of a valid footer.
    var keys: Set<BlockKey> = []
    var records = 0
    var footerEntries = 0
    /// The first problems, described; `problemCount` counts them all.
    var problems: [String] = []
    var problemCount = 0

    var parsesCompletely: Bool { problemCount == 0 }

    /// Reads the extent at `path`, which should be `name`. `expectSealed` is true
    /// when the index says the volume was sealed (a missing footer is then
    /// truncation), nil when it cannot say.
    static func read(path: String, name: ExtentName, expectSealed: Bool?) throws -> TrashExtentContents {
        var contents = TrashExtentContents()
        var options = ExtentScanOptions()
        options.expectSealed = expectSealed
        options.verifyKeys = true  // a record whose bytes are not its key is a bad record
        options.maxProblemsKept = 20
        let reader = try ExtentReader(path: path)
        let report = try reader.scan(options: options, onRecord: { record in
            contents.keys.insert(record.key)
            contents.records += 1
        })
        contents.problemCount = report.problemCount
        contents.problems = report.problems.map(\.description)
        if report.inFlightTailBytes > 0 {
            contents.note("\(report.inFlightTailBytes) bytes at the end do not form a whole record")
        }
        if let header = report.header, header.volume != name.volume || header.generation != name.generation {
            contents.note("the extent header names v\(header.volume).g\(header.generation), not \(name)")
        }
        if report.isSealed, let footer = try reader.footer() {
            contents.footerEntries = footer.count
            for entry in footer { contents.keys.insert(entry.key) }
        }
        return contents
    }

    /// For a copy a repair replaced (see `BlockIndex.replacedByRepair`): its
    /// problems no longer fail it; `keys` (its volume's live blocks) are judged
    /// besides the ones it still shows.
    mutating func tolerateDamage(alsoJudging keys: [BlockKey]) {
        problems = []
        problemCount = 0
        self.keys.formUnion(keys)
    }

    mutating func note(_ problem: String) {
        problemCount += 1
        if problems.count < 20 { problems.append(problem) }
    }
}

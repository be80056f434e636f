import VigilKafka
import VigilVerifier

/// Malformed samples seen per partition since this stage started: one
/// `malformed_sample` finding per partition (its details count them and name
/// the first offset), however many arrive. Pure state.
struct MalformedLog: Sendable {
    struct Entry: Sendable, Equatable {
        var count = 0
        var firstOffset: Int64
        var firstReason: String
        var lastOffset: Int64
    }

    static let kind = FindingKind.malformedSample.rawValue
    let zone: String
    private(set) var entries: [TopicPartition: Entry] = [:]

    init(zone: String) { self.zone = zone }

    static func subject(_ tp: TopicPartition) -> String { "topic/\(tp.topic)/partition/\(tp.partition)" }

    /// Adds malformed samples; returns the findings to (re)report, one per partition touched.
    mutating func add(_ malformed: [MalformedSample]) -> [Finding] {
        var touched: Set<TopicPartition> = []
        for m in malformed {
            var e = entries[m.partition] ?? Entry(firstOffset: m.offset, firstReason: m.reason, lastOffset: m.offset)
            e.count += 1
            e.lastOffset = max(e.lastOffset, m.offset)
            entries[m.partition] = e
            touched.insert(m.partition)
        }
        return touched.sorted { $0.partition < $1.partition }.map { tp in
            let e = entries[tp]!
            return Finding(
                kind: Self.kind, subject: Self.subject(tp), severity: .warning,
                details: ["zone": zone, "topic": tp.topic, "partition": "\(tp.partition)", "count": "\(e.count)",
                          "first_offset": "\(e.firstOffset)", "last_offset": "\(e.lastOffset)", "detail": e.firstReason])
        }
    }
}

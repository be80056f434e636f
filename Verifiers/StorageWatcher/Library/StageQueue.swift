import VigilCore
import VigilKafka

/// One consumed message of a stage (nil sample: it did not decode).
public struct HeldSample: Sendable, Equatable {
    public var partition: TopicPartition
    public var offset: Int64
    public var sample: SampleMessage?
    /// Why the message did not decode, when it did not.
    public var decodeError: String?

    public init(partition: TopicPartition, offset: Int64, sample: SampleMessage?, decodeError: String? = nil) {
        self.partition = partition
        self.offset = offset
        self.sample = sample
        self.decodeError = decodeError
    }
}

/// A message that is not a sample the watcher can hold: undecodable, or
/// written "in the future" beyond the clock-skew bound. Done at once (never
/// held, never pausing its partition), counted and reported by the stage.
public struct MalformedSample: Sendable, Equatable {
    public var partition: TopicPartition
    public var offset: Int64
    public var reason: String
}

/// A stage's samples per partition, from consumption to commit. Pure state:
/// no I/O, no clock; the stage loop acts on what it returns.
///
/// Every received offset is `waiting` (held until written-at + delay, or put
/// back after the frontend could not answer), `inFlight` (taken to be checked)
/// or done. The committable offset of a partition is the first offset not
/// done: a crash re-reads from there, so it never skips a sample, whatever
/// order checks finish in. A partition with anything waiting is paused, so
/// memory stays bounded however far behind it is.
public struct StageQueue: Sendable {
    enum State: Sendable, Equatable { case waiting, inFlight, done }

    struct Entry: Sendable {
        var item: HeldSample
        var state: State
        var dueAt: Int64
    }

    struct Partition: Sendable {
        /// Received offsets in order; the done prefix is dropped as it forms.
        var entries: [Entry] = []
        /// The offset after the last one received.
        var next: Int64 = 0
        /// The last committable offset handed out by `commitOffsets()`.
        var committed: Int64?
        var paused = false
        /// Entries in state `waiting` (so `takeDue` skips partitions with none).
        var waiting = 0

        var committable: Int64 { entries.first?.item.offset ?? next }
        var isIdle: Bool { entries.allSatisfy { $0.state == .done } }

        /// Entries are in offset order: binary search.
        func index(of offset: Int64) -> Int? {
            var low = 0, high = entries.count
            while low < high {
                let mid = (low + high) / 2
                if entries[mid].item.offset < offset { low = mid + 1 } else { high = mid }
            }
            return low < entries.count && entries[low].item.offset == offset ? low : nil
        }

        mutating func dropDonePrefix() {
            let n = entries.prefix { $0.state == .done }.count
            if n > 0 { entries.removeFirst(n) }
        }
    }

    let delayMicros: Int64
    let maxSkewMicros: Int64
    private(set) var partitions: [TopicPartition: Partition] = [:]

    public init(delay: Duration, maxClockSkew: Duration = .seconds(300)) {
        delayMicros = Self.micros(delay)
        maxSkewMicros = Self.micros(maxClockSkew)
    }

    static func micros(_ d: Duration) -> Int64 {
        d.components.seconds * 1_000_000 + d.components.attoseconds / 1_000_000_000_000
    }

    /// Takes consumed messages at `now` (µs since the epoch). Returns the
    /// partitions to pause and the malformed messages, which are done already.
    /// Offsets at or below one already received (a re-delivery) are ignored.
    public mutating func receive(_ items: [HeldSample], now: Int64) -> (pause: [TopicPartition], malformed: [MalformedSample]) {
        var malformed: [MalformedSample] = []
        for item in items {
            var p = partitions[item.partition] ?? Partition(next: item.offset, committed: item.offset)
            guard item.offset >= p.next else { continue }
            p.next = item.offset + 1
            if let sample = item.sample {
                if sample.writtenAtMicros > now &+ maxSkewMicros {
                    let ahead = (sample.writtenAtMicros - now) / 1_000_000
                    malformed.append(MalformedSample(
                        partition: item.partition, offset: item.offset,
                        reason: "written_at is \(ahead) s in the future, beyond the \(maxSkewMicros / 1_000_000) s clock-skew bound"))
                    p.entries.append(Entry(item: item, state: .done, dueAt: 0))
                } else {
                    p.entries.append(Entry(item: item, state: .waiting, dueAt: sample.writtenAtMicros &+ delayMicros))
                    p.waiting += 1
                }
            } else {
                malformed.append(MalformedSample(partition: item.partition, offset: item.offset, reason: item.decodeError ?? "undecodable"))
                p.entries.append(Entry(item: item, state: .done, dueAt: 0))
            }
            p.dropDonePrefix()
            partitions[item.partition] = p
        }
        var toPause: [TopicPartition] = []
        for (tp, p) in partitions where !p.paused && p.entries.contains(where: { $0.state != .done }) {
            partitions[tp]!.paused = true
            toPause.append(tp)
        }
        return (toPause, malformed)
    }

    /// For callers without a clock (benchmarks): no sample is in the future.
    /// Marks the waiting samples due at `now` in flight and returns them, in offset order per partition.
    public mutating func takeDue(now: Int64) -> [HeldSample] {
        var due: [HeldSample] = []
        for tp in partitions.keys where partitions[tp]!.waiting > 0 {
            for i in partitions[tp]!.entries.indices where partitions[tp]!.entries[i].state == .waiting && partitions[tp]!.entries[i].dueAt <= now {
                partitions[tp]!.entries[i].state = .inFlight
                partitions[tp]!.waiting -= 1
                due.append(partitions[tp]!.entries[i].item)
            }
        }
        return due
    }

    /// Marks samples checked (their results recorded): they may be committed.
    public mutating func finish(_ items: [HeldSample]) { set(items, to: .done) }

    /// Puts back samples that could not be checked now (the frontend did not
    /// answer): they wait again, and hold their partition's commit.
    public mutating func putBack(_ items: [HeldSample]) { set(items, to: .waiting) }

    private mutating func set(_ items: [HeldSample], to state: State) {
        for item in items {
            guard var p = partitions[item.partition],
                  let i = p.index(of: item.offset), p.entries[i].state == .inFlight
            else { continue }
            p.entries[i].state = state
            if state == .waiting { p.waiting += 1 }
            p.dropDonePrefix()
            partitions[item.partition] = p
        }
    }

    /// Per partition, the offset to commit where it moved since the last call:
    /// the first offset not done (every earlier received offset is done).
    public mutating func commitOffsets() -> [TopicPartition: Int64] {
        var out: [TopicPartition: Int64] = [:]
        for (tp, p) in partitions where p.committed.map({ $0 < p.committable }) ?? true {
            out[tp] = p.committable
            partitions[tp]!.committed = p.committable
        }
        return out
    }

    /// Paused partitions with nothing waiting or in flight: resume them.
    public mutating func partitionsToResume() -> [TopicPartition] {
        var out: [TopicPartition] = []
        for (tp, p) in partitions where p.paused && p.isIdle {
            partitions[tp]!.paused = false
            out.append(tp)
        }
        return out
    }

    /// Forgets partitions no longer assigned (the group rebalanced): their new
    /// owner re-reads them from the committed offsets.
    public mutating func keepOnly(_ assigned: Set<TopicPartition>) {
        partitions = partitions.filter { assigned.contains($0.key) }
    }

    /// The due time of the oldest sample past due and not yet checked (waiting,
    /// put back, or in flight), for the lag metric.
    public func oldestOverdue(now: Int64) -> Int64? {
        partitions.values.flatMap(\.entries).filter { $0.state != .done && $0.dueAt <= now }.map(\.dueAt).min()
    }

    public var paused: Set<TopicPartition> { Set(partitions.filter(\.value.paused).keys) }

    /// Samples waiting or in flight.
    public var heldCount: Int { partitions.values.reduce(0) { $0 + $1.entries.count { $0.state != .done } } }
}

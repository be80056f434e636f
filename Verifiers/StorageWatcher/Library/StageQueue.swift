import VigilCore
import VigilKafka

/// A consumed sample waiting for its stage's delay (nil sample: malformed,
/// counted and skipped, but still in offset order for commits).
public struct HeldSample: Sendable {
    public var partition: TopicPartition
    public var offset: Int64
    public var sample: SampleMessage?

    public init(partition: TopicPartition, offset: Int64, sample: SampleMessage?) {
        self.partition = partition
        self.offset = offset
        self.sample = sample
    }
}

/// Holds a stage's samples per partition until they are due. Pure state: no
/// I/O, no clock; the stage loop acts on what it returns. A partition with
/// anything held is paused, so memory stays bounded however far behind it is.
public struct StageQueue: Sendable {
    let delayMicros: Int64
    private(set) var held: [TopicPartition: [HeldSample]] = [:]
    private(set) var paused: Set<TopicPartition> = []

    public init(delay: Duration) {
        delayMicros = delay.components.seconds * 1_000_000 + delay.components.attoseconds / 1_000_000_000_000
    }

    func dueAt(_ item: HeldSample) -> Int64 { (item.sample?.writtenAtMicros ?? .min) &+ delayMicros }

    /// Takes consumed messages; returns partitions to pause.
    public mutating func receive(_ items: [HeldSample]) -> [TopicPartition] {
        for item in items { held[item.partition, default: []].append(item) }
        let toPause = held.filter { !$0.value.isEmpty && !paused.contains($0.key) }.map(\.key)
        paused.formUnion(toPause)
        return toPause
    }

    /// Removes and returns, in offset order per partition, the samples due at `now`.
    public mutating func takeDue(now: Int64) -> [HeldSample] {
        var due: [HeldSample] = []
        for (partition, queue) in held {
            let n = queue.prefix { dueAt($0) <= now }.count
            guard n > 0 else { continue }
            due += queue.prefix(n)
            held[partition] = Array(queue.dropFirst(n))
        }
        return due
    }

    /// Puts back samples that could not be checked now (the frontend was unreachable).
    public mutating func putBack(_ items: [HeldSample]) {
        for (partition, group) in Dictionary(grouping: items, by: \.partition) {
            held[partition] = group.sorted { $0.offset < $1.offset } + (held[partition] ?? [])
        }
    }

    /// Paused partitions whose queue is empty: resume them.
    public mutating func partitionsToResume() -> [TopicPartition] {
        let empty = paused.filter { held[$0]?.isEmpty ?? true }
        paused.subtract(empty)
        for p in empty { held.removeValue(forKey: p) }
        return Array(empty)
    }

    /// Forgets partitions no longer assigned (the group rebalanced): their new
    /// owner re-reads them from the committed offsets.
    public mutating func keepOnly(_ assigned: Set<TopicPartition>) {
        held = held.filter { assigned.contains($0.key) }
        paused = paused.intersection(assigned)
    }

    /// The written-at of the oldest due sample not yet checked, for the lag metric.
    public func oldestDue(now: Int64) -> Int64? {
        held.values.compactMap(\.first).filter { dueAt($0) <= now }.compactMap { $0.sample?.writtenAtMicros }.min()
    }

    public var heldCount: Int { held.values.reduce(0) { $0 + $1.count } }
}

/// Every decision of the `VolumeAllocator` as a value (postgres-nio's
/// `PoolStateMachine` style): which open volume a write goes to, which writes
/// wait for the next volume, when a volume is full and when, its last write
/// done, it is ready to seal. No I/O: opening and sealing are jobs the
/// allocator's background service takes with `nextJob()`.
struct VolumeAllocatorState<Waiter> {
    struct OpenVolume {
        var lease: VolumeLease
        var reserved: Int64 = 0
        var inFlight = 0
    }

    /// Background work: never on a client's request path.
    enum Job {
        case open
        case seal(VolumeLease)
    }

    enum Enqueued {
        case granted(VolumeLease)
        case queued
        case abandoned
    }

    let targetBytes: Int64
    private(set) var current: OpenVolume?
    /// Full volumes with writes still in flight, then ready to seal.
    private var retiring: [Int64: OpenVolume] = [:]
    private var sealable: [VolumeLease] = []
    private var line: [(id: UInt64, bytes: Int, waiter: Waiter)] = []
    private var reserved: [UInt64: Bool] = [:]
    private var nextID: UInt64 = 0
    private var opening = false

    init(targetBytes: Int64) { self.targetBytes = targetBytes }

    var waiting: Int { line.count }

    /// The fast path: a place in the open volume, or nil (the caller queues).
    mutating func lease(bytes: Int) -> VolumeLease? {
        guard line.isEmpty else { return nil }  // first come, first served
        return place(bytes: bytes)
    }

    /// A place in the open volume; fills it when the target is reached.
    private mutating func place(bytes: Int) -> VolumeLease? {
        guard var open = current else { return nil }
        open.inFlight += 1
        open.reserved += Int64(bytes)
        if open.reserved >= targetBytes {
            retiring[open.lease.volume] = open
            current = nil
        } else {
            current = open
        }
        return open.lease
    }

    mutating func reserve() -> UInt64 {
        nextID &+= 1
        reserved[nextID] = false
        return nextID
    }

    mutating func enqueue(_ id: UInt64, bytes: Int, _ waiter: Waiter) -> Enqueued {
        if reserved.removeValue(forKey: id) == true { return .abandoned }
        if let lease = lease(bytes: bytes) { return .granted(lease) }
        line.append((id, bytes, waiter))
        return .queued
    }

    /// The write gave up waiting (cancelled or timed out): its waiter, if still in line.
    mutating func abandon(_ id: UInt64) -> Waiter? {
        if reserved[id] != nil {
            reserved[id] = true
            return nil
        }
        guard let index = line.firstIndex(where: { $0.id == id }) else { return nil }
        return line.remove(at: index).waiter
    }

    /// The next background job: seals first, then a volume for waiting writes.
    mutating func nextJob() -> Job? {
        if !sealable.isEmpty { return .seal(sealable.removeFirst()) }
        if !line.isEmpty, current == nil, !opening {
            opening = true
            return .open
        }
        return nil
    }

    /// A volume is open: the writes in line take places in it, in order, until it fills.
    mutating func opened(_ lease: VolumeLease) -> [(waiter: Waiter, lease: VolumeLease)] {
        opening = false
        current = OpenVolume(lease: lease)
        var served: [(waiter: Waiter, lease: VolumeLease)] = []
        while let first = line.first, current != nil {
            line.removeFirst()
            served.append((first.waiter, place(bytes: first.bytes)!))
        }
        return served
    }

    /// Opening failed: every write in line fails (each may try again).
    mutating func openFailed() -> [Waiter] {
        opening = false
        defer { line.removeAll() }
        return line.map(\.waiter)
    }

    /// A write finished; true when that made a full volume ready to seal.
    mutating func release(_ lease: VolumeLease) -> Bool {
        if current?.lease.volume == lease.volume {
            current?.inFlight -= 1
            return false
        }
        guard var open = retiring[lease.volume] else { return false }
        open.inFlight -= 1
        guard open.inFlight == 0 else {
            retiring[lease.volume] = open
            return false
        }
        retiring.removeValue(forKey: lease.volume)
        sealable.append(open.lease)
        return true
    }

    /// A replica write failed: the volume takes no more writes and is not sealed here.
    mutating func fail(_ lease: VolumeLease) {
        if current?.lease.volume == lease.volume { current = nil }
        retiring.removeValue(forKey: lease.volume)
    }
}

/// What a lease request is given.
enum PoolGrant<Connection> {
    /// An open connection to use.
    case connection(Connection)
    /// A free slot: the requester opens a connection itself (and reports
    /// `slotFreed()` if that fails).
    case connect
}

/// Every decision of a `PostgresPool` as a value, in the style of postgres-nio's
/// `PoolStateMachine`: who gets an idle connection, who opens a new one, who
/// waits in line and who leaves it. No I/O and no locks: the pool holds it
/// behind a mutex and performs what its methods return outside the lock.
/// Generic over the connection and the waiter so tests drive it with plain values.
struct PoolStateMachine<Connection, Waiter> {
    typealias Grant = PoolGrant<Connection>

    /// What `enqueue` decided.
    enum Enqueued {
        case granted(Grant)
        case queued
        /// The request was abandoned before it queued: fail it with `CancellationError`.
        case abandoned
    }

    /// A waiter taken out of line with what it is given.
    struct HandOff {
        var waiter: Waiter
        var grant: Grant
    }

    let size: Int
    private var idle: [Connection] = []
    /// Slots taken: connections leased, idle, or being opened.
    private(set) var open = 0
    private var line: [(id: UInt64, waiter: Waiter)] = []
    /// Ids reserved and not yet queued, and whether they were abandoned meanwhile.
    private var reserved: [UInt64: Bool] = [:]
    private var nextID: UInt64 = 0

    init(size: Int) {
        precondition(size > 0, "a pool holds at least one connection")
        self.size = size
    }

    var waiting: Int { line.count }
    var idleCount: Int { idle.count }

    /// The fast path: an idle connection or a free slot; nil when the caller must queue.
    mutating func tryLease() -> Grant? {
        guard line.isEmpty else { return nil }  // first come, first served
        if let connection = idle.popLast() { return .connection(connection) }
        if open < size {
            open += 1
            return .connect
        }
        return nil
    }

    /// An id for a request about to queue; `abandon` may name it at once.
    mutating func reserve() -> UInt64 {
        nextID &+= 1
        reserved[nextID] = false
        return nextID
    }

    /// Queues the request unless something freed up since `tryLease`.
    mutating func enqueue(_ id: UInt64, _ waiter: Waiter) -> Enqueued {
        if reserved.removeValue(forKey: id) == true { return .abandoned }
        if let grant = tryLease() { return .granted(grant) }
        line.append((id, waiter))
        return .queued
    }

    /// The request gave up (cancelled, or its lease timed out): its waiter if it
    /// was still in line, to be failed; nil if it was already served.
    mutating func abandon(_ id: UInt64) -> Waiter? {
        if reserved[id] != nil {
            reserved[id] = true
            return nil
        }
        guard let index = line.firstIndex(where: { $0.id == id }) else { return nil }
        return line.remove(at: index).waiter
    }

    /// A healthy connection came back: to the first in line, or idle.
    mutating func release(_ connection: Connection) -> HandOff? {
        guard !line.isEmpty else {
            idle.append(connection)
            return nil
        }
        return HandOff(waiter: line.removeFirst().waiter, grant: .connection(connection))
    }

    /// The pool closes: its idle connections (to close; their slots free) and
    /// everyone in line (to fail). Leased connections come back as `slotFreed`.
    mutating func drain() -> (idle: [Connection], waiting: [Waiter]) {
        let drained = (idle, line.map(\.waiter))
        open -= idle.count
        idle = []
        line = []
        return drained
    }

    /// A connection broke or could not be opened: its slot is free, and the
    /// first in line opens a replacement.
    mutating func slotFreed() -> HandOff? {
        open -= 1
        guard !line.isEmpty else { return nil }
        open += 1
        return HandOff(waiter: line.removeFirst().waiter, grant: .connect)
    }
}

extension PoolGrant: Sendable where Connection: Sendable {}

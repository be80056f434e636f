/// Every decision of one extent's group commit as a value (the house's
/// `PoolStateMachine` style): which appends a flush covers, who flushes next,
/// whom a flush releases and whom a failed flush fails. No I/O: `GroupCommit`
/// holds it behind a lock and performs what its methods return outside it.
///
/// Appends are made in order under the extent's lock and each notes where it
/// ended (`appended(through:)`) once its `pwrite` returned. A flush that starts
/// after that note covers those bytes: an `fdatasync` makes durable every
/// write that completed before it was called. So one writer at a time flushes
/// through the end of everything appended so far, and every writer whose
/// bytes end there is released by that one flush.
///
/// A failed flush fails every writer waiting and every later one: after a
/// failed `fdatasync` the kernel may have dropped the dirty pages and a later
/// `fdatasync` can succeed without them, so nothing of the extent is
/// acknowledged again until the node reopens it from what is on disk.
struct GroupCommitState<Waiter> {
    /// What a writer waiting for its bytes to be durable does next.
    enum Step {
        /// Its bytes are durable: acknowledge.
        case durable
        /// A flush failed: acknowledge nothing.
        case failed(any Error)
        /// It flushes, through `through`, and reports with `flushed` or `flushFailed`.
        case flush(through: UInt64)
        /// Another writer is flushing; the waiter is resumed by its outcome.
        case wait
    }

    /// Where the last completed append ended.
    private(set) var written: UInt64
    /// Where the last successful flush reached.
    private(set) var durable: UInt64
    private(set) var failure: (any Error)?
    private var flushing = false
    private var waiters: [(through: UInt64, waiter: Waiter)] = []

    /// An extent as opened: everything in it is on disk already.
    init(size: UInt64) {
        written = size
        durable = size
    }

    var waiting: Int { waiters.count }

    mutating func appended(through end: UInt64) {
        written = max(written, end)
    }

    /// A writer whose bytes end at `end` asks to be released once they are durable.
    mutating func wait(through end: UInt64, _ waiter: Waiter) -> Step {
        if let failure { return .failed(failure) }
        if end <= durable { return .durable }
        guard flushing else {
            flushing = true
            return .flush(through: written)
        }
        waiters.append((end, waiter))
        return .wait
    }

    /// A flush through `target` succeeded: the waiters it covers, and the next
    /// flusher (the first waiter it does not cover, with its target) if any.
    mutating func flushed(through target: UInt64) -> (released: [Waiter], next: (waiter: Waiter, through: UInt64)?) {
        durable = max(durable, target)
        let covered = waiters.filter { $0.through <= durable }.map(\.waiter)
        waiters.removeAll { $0.through <= durable }
        guard !waiters.isEmpty else {
            flushing = false
            return (covered, nil)
        }
        let next = waiters.removeFirst()
        return (covered, (next.waiter, written))
    }

    /// A flush never ran (no thread took it): the next flusher, if anyone waits.
    mutating func flushAbandoned() -> (waiter: Waiter, through: UInt64)? {
        guard !waiters.isEmpty else {
            flushing = false
            return nil
        }
        let next = waiters.removeFirst()
        return (next.waiter, written)
    }

    /// A flush failed: every waiter fails, and so will every later one.
    mutating func flushFailed(_ error: any Error) -> [Waiter] {
        failure = error
        flushing = false
        defer { waiters.removeAll() }
        return waiters.map(\.waiter)
    }
}

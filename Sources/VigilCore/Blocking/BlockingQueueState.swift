/// Every decision of a `BlockingExecutor` as a value: which work item runs
/// next, which waits, which is refused and which a cancellation takes back.
/// No threads and no I/O: the executor holds it behind its lock and performs
/// what its methods return outside it (postgres-nio's `PoolStateMachine` style).
struct BlockingQueueState<Job> {
    /// What `next()` tells a worker thread.
    enum Next {
        case run(Job)
        case wait
        case exit
    }

    /// What `submit` decided about a job.
    enum Submission {
        case queued
        /// Not queued: complete the job with this error, outside the lock.
        case refused(Job, BlockingExecutorError)
        case cancelled(Job)
    }

    let limit: Int
    private var queue = FIFO<(id: UInt64, job: Job)>()
    /// Ids handed out by `reserve()` and not yet submitted, and whether their
    /// task was cancelled meanwhile: a cancellation that arrives before its job
    /// is queued still keeps the job from running.
    private var reserved: [UInt64: Bool] = [:]
    private var nextID: UInt64 = 0
    private var stopping = false
    private(set) var statistics = BlockingExecutorStatistics()

    init(limit: Int) {
        precondition(limit > 0, "a blocking executor's queue holds at least one item")
        self.limit = limit
    }

    /// An id for a job about to be submitted; cancellation can name it at once.
    mutating func reserve() -> UInt64 {
        nextID &+= 1
        reserved[nextID] = false
        return nextID
    }

    mutating func submit(_ id: UInt64, _ job: Job) -> Submission {
        let cancelled = reserved.removeValue(forKey: id) ?? false
        if cancelled {
            statistics.cancelled += 1
            return .cancelled(job)
        }
        if stopping { return .refused(job, .shutDown) }
        guard queue.count < limit else {
            statistics.refused += 1
            return .refused(job, .queueFull(limit: limit))
        }
        queue.push((id, job))
        statistics.queued = queue.count
        return .queued
    }

    /// The task awaiting job `id` was cancelled: the job, if it has not started
    /// (the caller completes it with `CancellationError`); nil if it runs or ran.
    mutating func cancel(_ id: UInt64) -> Job? {
        if reserved[id] != nil {
            reserved[id] = true
            return nil
        }
        guard let entry = queue.remove(where: { $0.id == id }) else { return nil }
        statistics.queued = queue.count
        statistics.cancelled += 1
        return entry.job
    }

    /// For a worker thread that is free.
    mutating func next() -> Next {
        if let entry = queue.pop() {
            statistics.queued = queue.count
            statistics.running += 1
            return .run(entry.job)
        }
        return stopping ? .exit : .wait
    }

    /// A worker finished the job `next()` gave it.
    mutating func finished() {
        statistics.running -= 1
        statistics.completed += 1
    }

    /// Stops taking work; returns the queued jobs, which will never run.
    mutating func shutDown() -> [Job] {
        stopping = true
        var dropped: [Job] = []
        while let entry = queue.pop() { dropped.append(entry.job) }
        statistics.queued = 0
        return dropped
    }
}

/// A snapshot of an executor's work, for metrics and tests.
public struct BlockingExecutorStatistics: Sendable, Equatable {
    /// Items waiting for a thread.
    public var queued = 0
    /// Items running now.
    public var running = 0
    public var completed: UInt64 = 0
    /// Items whose task was cancelled before they started (they never ran).
    public var cancelled: UInt64 = 0
    /// Items refused because the queue was full.
    public var refused: UInt64 = 0
}

import Foundation

/// A named pool of a fixed number of threads for blocking work — file reads and
/// writes, `fsync`, directory listings, `stat`, `FileManager` — so none of it
/// ever occupies a thread of Swift's cooperative pool (modelled on swift-nio's
/// `NIOThreadPool`).
///
/// Its queue is bounded: past `queueLimit` waiting items `run` throws a
/// retriable `BlockingExecutorError`. A task cancelled while its item waits
/// gets `CancellationError` and the item never runs; an item that has started
/// runs to the end (blocking calls cannot be interrupted).
public final class BlockingExecutor: @unchecked Sendable {
    public typealias Job = @Sendable (_ refusal: (any Error)?) -> Void

    /// The process's executor for file-system work (`blockingIO` runs on it).
    public static let fileSystem = BlockingExecutor(name: "vigil-io", threads: 16, queueLimit: 4096)

    public let name: String
    public let threadCount: Int
    // `state` is guarded by `condition` (hence `@unchecked Sendable`).
    private let condition = NSCondition()
    private var state: BlockingQueueState<Job>

    /// Starts `threads` threads named `name-0`, `name-1`, … (keep `name` short:
    /// Linux shows 15 characters of a thread's name).
    public init(name: String, threads: Int, queueLimit: Int = 1024) {
        precondition(threads > 0, "a blocking executor needs at least one thread")
        self.name = name
        threadCount = threads
        state = BlockingQueueState(limit: queueLimit)
        for number in 0..<threads {
            let thread = Thread { [self] in
                _ = setCurrentThreadName(String("\(name)-\(number)".prefix(15)))
                work()
            }
            thread.start()
        }
    }

    public var queueLimit: Int { state.limit }

    public var statistics: BlockingExecutorStatistics { locked { $0.statistics } }

    /// Runs `body` on one of the executor's threads and returns its result or
    /// error. Throws `CancellationError` if the task is cancelled before
    /// `body` starts (then `body` never runs).
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let id = locked { $0.reserve() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                let job: Job = { refusal in
                    if let refusal {
                        continuation.resume(throwing: refusal)
                    } else {
                        continuation.resume(with: Result(catching: body))
                    }
                }
                switch locked({ $0.submit(id, job) }) {
                case .queued: condition.signal()
                case .refused(let job, let error): job(error)
                case .cancelled(let job): job(CancellationError())
                }
            }
        } onCancel: {
            locked { $0.cancel(id) }?(CancellationError())
        }
    }

    /// Stops the threads once the items already running finish; items still
    /// queued fail with `BlockingExecutorError` code `shut_down`.
    public func shutDown() {
        let dropped = locked { $0.shutDown() }
        condition.broadcast()
        for job in dropped { job(BlockingExecutorError.shutDown) }
    }

    private func work() {
        while true {
            condition.lock()
            var next = state.next()
            while case .wait = next {
                condition.wait()
                next = state.next()
            }
            condition.unlock()
            guard case .run(let job) = next else { return }
            job(nil)
            locked { $0.finished() }
        }
    }

    private func locked<R>(_ body: (inout BlockingQueueState<Job>) -> R) -> R {
        condition.lock()
        defer { condition.unlock() }
        return body(&state)
    }
}

/// glibc's `pthread_setname_np` (the Glibc module does not export it): names
/// the thread as `ps -L`, `top -H` and debuggers show it.
@_silgen_name("pthread_setname_np")
private func setThreadName(_ thread: pthread_t, _ name: UnsafePointer<CChar>) -> Int32

private func setCurrentThreadName(_ name: String) -> Int32 {
    setThreadName(pthread_self(), name)
}

/// Runs blocking work (file I/O, fsync, listings, `stat`) on the process's
/// file-system executor and awaits it, so it never occupies a thread of the
/// cooperative pool.
public func blockingIO<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await BlockingExecutor.fileSystem.run(work)
}

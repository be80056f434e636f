import Synchronization
import VigilCore

/// Group commit for one extent: concurrent writers share one `fdatasync`.
/// A writer appends (under the extent's lock), notes where its bytes end,
/// and awaits `durable(through:)`; one of the waiting writers flushes for all
/// of them, with the `sync` it brings, and releases every writer that flush
/// covered (decisions: `GroupCommitState`).
final class GroupCommit: Sendable {
    /// What a waiting writer is resumed with.
    enum Wake: Sendable {
        case durable
        case flush(through: UInt64)
    }

    typealias Waiter = CheckedContinuation<Wake, any Error>

    private let state: Mutex<GroupCommitState<Waiter>>

    /// An extent whose first `size` bytes are on disk already.
    init(size: UInt64) {
        state = Mutex(GroupCommitState(size: size))
    }

    /// Notes a completed append ending at `end`; call it under the extent's
    /// lock, after the `pwrite` returned.
    func appended(through end: UInt64) {
        state.withLock { $0.appended(through: end) }
    }

    /// The flush failure that stops this extent taking writes, if any.
    var failure: (any Error)? { state.withLock { $0.failure } }

    /// Returns once every byte up to `end` is durable; throws (and never
    /// returns) when a flush that should have covered them failed. Not
    /// cancellable: a write whose bytes are in the file waits for their fate.
    func durable(through end: UInt64, sync: @escaping @Sendable () throws -> Void) async throws {
        while true {
            let wake = try await withCheckedThrowingContinuation { (waiter: Waiter) in
                switch state.withLock({ $0.wait(through: end, waiter) }) {
                case .durable: waiter.resume(returning: .durable)
                case .failed(let error): waiter.resume(throwing: error)
                case .flush(let target): waiter.resume(returning: .flush(through: target))
                case .wait: break
                }
            }
            guard case .flush(let target) = wake else { return }
            try await flush(through: target, sync)
            if end <= target { return }
        }
    }

    /// One `fdatasync` for everyone waiting; hands the next flush to the first
    /// writer it did not cover. The sync runs to the end even if this writer's
    /// task is cancelled: others wait on it.
    private func flush(through target: UInt64, _ sync: @escaping @Sendable () throws -> Void) async throws {
        do {
            try await Task.detached { try await blockingIO(sync) }.value
        } catch let error as BlockingExecutorError {
            // The sync never ran (the process is overloaded or stopping): the next waiter tries.
            if let next = state.withLock({ $0.flushAbandoned() }) { next.waiter.resume(returning: .flush(through: next.through)) }
            throw error
        } catch {
            let failed = state.withLock { $0.flushFailed(FlushFailure(cause: error)) }
            for waiter in failed { waiter.resume(throwing: FlushFailure(cause: error)) }
            throw FlushFailure(cause: error)
        }
        let (released, next) = state.withLock { $0.flushed(through: target) }
        for waiter in released { waiter.resume(returning: .durable) }
        if let next { next.waiter.resume(returning: .flush(through: next.through)) }
    }
}

/// An extent's `fdatasync` failed: the writes it should have made durable are
/// not acknowledged, and the extent takes no more until the node reopens it.
struct FlushFailure: Error, CustomStringConvertible {
    var cause: any Error

    var description: String {
        "syncing the extent to disk failed (\(cause)): the write is not acknowledged and the extent takes no more writes until the node restarts; check the disk"
    }
}

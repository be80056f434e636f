import Dispatch

/// Runs blocking work (file I/O, fsync) on a dispatch thread and awaits it, so
/// it never occupies a thread of the cooperative pool.
public func blockingIO<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}

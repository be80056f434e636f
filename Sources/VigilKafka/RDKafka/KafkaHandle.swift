import CRDKafka
import Foundation
import Synchronization

/// Owns an `rd_kafka_t`; destroys it on deinit. librdkafka handles are
/// thread-safe, which is what makes this wrapper Sendable.
final class KafkaHandle: @unchecked Sendable {
    let pointer: OpaquePointer
    /// Objects librdkafka's callbacks reach through opaque pointers: they live as long as the handle.
    private let callbackContext: AnyObject?

    init(_ pointer: OpaquePointer, callbackContext: AnyObject? = nil) {
        self.pointer = pointer
        self.callbackContext = callbackContext
    }
    deinit { rd_kafka_destroy(pointer) }
}

/// A dedicated thread calling `body` until stopped (librdkafka's poll loops).
final class PollThread: Sendable {
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            while running.load(ordering: .acquiring) { body() }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Stops the loop and waits for the current call to return.
    func stop() {
        if running.exchange(false, ordering: .acquiringAndReleasing) { finished.wait() }
    }
}

/// Runs a blocking call on a global queue thread, off the cooperative pool.
func runBlocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}

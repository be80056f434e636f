import Foundation
import Synchronization
import Testing
@testable import VigilCore

/// A gate a work item blocks on until the test opens it, with bounded waits.
private final class Gate: Sendable {
    private let opened = Mutex(false)
    private let entered = Mutex(0)

    func pass() {
        entered.withLock { $0 += 1 }
        while !opened.withLock({ $0 }) { usleep(1_000) }
    }

    func open() { opened.withLock { $0 = true } }

    /// Waits (bounded) until `count` items are blocked in `pass()`.
    func waitForEntries(_ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while entered.withLock({ $0 }) < count {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

private struct Boom: Error, Equatable { var n: Int }

@Suite(.timeLimit(.minutes(1))) struct BlockingExecutorTests {
    /// The calling thread's name as the kernel has it.
    static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines)
    }

    @Test func oneThreadRunsItemsInSubmissionOrderOffTheCallersThread() async throws {
        let executor = BlockingExecutor(name: "t-order", threads: 1)
        defer { executor.shutDown() }
        let gate = Gate()
        let order = LockedValue<[Int]>([])
        let blocker = Task { try await executor.run { gate.pass() } }
        try await gate.waitForEntries(1)
        var tasks: [Task<String, any Error>] = []
        for i in 0..<5 {
            tasks.append(Task { try await executor.run { order.withLock { $0.append(i) }; return Self.threadName() } })
            // Each is queued before the next is submitted.
            while executor.statistics.queued < i + 1 { try await Task.sleep(for: .milliseconds(1)) }
        }
        gate.open()
        try await blocker.value
        for task in tasks { let name = try await task.value; #expect(name == "t-order-0") }
        #expect(order.withLock { $0 } == [0, 1, 2, 3, 4])
    }

    @Test func neverRunsMoreItemsAtOnceThanItHasThreads() async throws {
        let executor = BlockingExecutor(name: "t-bound", threads: 3)
        defer { executor.shutDown() }
        let gate = Gate()
        let busy = LockedValue((now: 0, peak: 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<9 {
                group.addTask {
                    try await executor.run {
                        busy.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
                        gate.pass()
                        busy.withLock { $0.now -= 1 }
                    }
                }
            }
            try await gate.waitForEntries(3)
            #expect(executor.statistics.running == 3)
            gate.open()
            try await group.waitForAll()
        }
        #expect(busy.withLock { $0.peak } == 3)
    }

    @Test func aFullQueueRefusesWithARetriableError() async throws {
        let executor = BlockingExecutor(name: "t-full", threads: 1, queueLimit: 2)
        defer { executor.shutDown() }
        let gate = Gate()
        let running = Task { try await executor.run { gate.pass() } }
        try await gate.waitForEntries(1)
        let queued = [Task { try await executor.run { 1 } }, Task { try await executor.run { 2 } }]
        while executor.statistics.queued < 2 { try await Task.sleep(for: .milliseconds(1)) }
        let error = await #expect(throws: BlockingExecutorError.self) { try await executor.run { 3 } }
        #expect(error?.code == .queueFull && error?.isRetriable == true)
        gate.open()
        try await running.value
        let results = (try await queued[0].value, try await queued[1].value)
        #expect(results.0 == 1 && results.1 == 2)
        #expect(executor.statistics.refused == 1)
    }

    @Test func aTaskCancelledBeforeItsItemStartsGetsCancellationAndTheItemNeverRuns() async throws {
        let executor = BlockingExecutor(name: "t-cancel", threads: 1)
        defer { executor.shutDown() }
        let gate = Gate()
        let ran = LockedValue(false)
        let blocker = Task { try await executor.run { gate.pass() } }
        try await gate.waitForEntries(1)
        let waiting = Task { try await executor.run { ran.withLock { $0 = true } } }
        while executor.statistics.queued < 1 { try await Task.sleep(for: .milliseconds(1)) }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(executor.statistics.queued == 0, "the cancelled item left the queue")
        gate.open()
        try await blocker.value
        // One more item through the single thread: anything queued before it has run.
        try await executor.run {}
        #expect(!ran.withLock { $0 })
        #expect(executor.statistics.cancelled == 1)
    }

    @Test func anAlreadyCancelledTaskNeverQueuesItsItem() async throws {
        let executor = BlockingExecutor(name: "t-early", threads: 1)
        defer { executor.shutDown() }
        let ran = LockedValue(false)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await executor.run { ran.withLock { $0 = true } }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        try await executor.run {}
        #expect(!ran.withLock { $0 })
    }

    @Test func errorsReachTheCallerAndTheThreadKeepsWorking() async throws {
        let executor = BlockingExecutor(name: "t-error", threads: 1)
        defer { executor.shutDown() }
        await #expect(throws: Boom(n: 7)) { try await executor.run { throw Boom(n: 7) } }
        #expect(try await executor.run { 42 } == 42)
        await #expect(throws: FileIOError.self) { try await executor.run { _ = try ExtentReader(path: "/nonexistent/v1.g1.extent") } }
    }

    @Test func afterShutDownItemsAreRefused() async throws {
        let executor = BlockingExecutor(name: "t-stop", threads: 2)
        executor.shutDown()
        let error = await #expect(throws: BlockingExecutorError.self) { try await executor.run { 1 } }
        #expect(error?.code == .shutDown && error?.isRetriable == false)
    }
}

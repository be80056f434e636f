import Testing
@testable import VigilNode

/// The group commit's decisions, without I/O: one flush covers every append
/// noted before it started, no one is released before a flush covering their
/// bytes succeeded, and a failed flush releases no one, then or later.
@Suite("Group commit state", .timeLimit(.minutes(1)))
struct GroupCommitStateTests {
    typealias State = GroupCommitState<String>

    @Test("the first writer flushes through everything appended; those waiting meanwhile are released by its flush")
    func oneFlushForMany() {
        var state = State(size: 100)
        state.appended(through: 200)
        guard case .flush(let target) = state.wait(through: 200, "a") else { Issue.record("a should flush"); return }
        #expect(target == 200)
        // Appends made while the flush runs are not covered by it.
        state.appended(through: 300)
        state.appended(through: 400)
        guard case .wait = state.wait(through: 300, "b"), case .wait = state.wait(through: 400, "c") else { Issue.record("b, c wait"); return }
        let first = state.flushed(through: target)
        #expect(first.released.isEmpty)
        // The first not covered flushes next, through all appended so far.
        #expect(first.next?.waiter == "b" && first.next?.through == 400)
        let second = state.flushed(through: 400)
        #expect(second.released == ["c"] && second.next == nil)
        #expect(state.durable == 400 && state.waiting == 0)
        // Bytes already durable are released at once; a new append starts a new flush.
        guard case .durable = state.wait(through: 400, "d") else { Issue.record("d is durable"); return }
        state.appended(through: 500)
        guard case .flush(through: 500) = state.wait(through: 500, "e") else { Issue.record("e flushes"); return }
    }

    @Test("a failed flush fails every waiter and every later one; nothing is durable past the last good flush")
    func failureReleasesNoOne() {
        var state = State(size: 0)
        state.appended(through: 10)
        guard case .flush = state.wait(through: 10, "a") else { Issue.record("a flushes"); return }
        state.appended(through: 20)
        _ = state.wait(through: 20, "b")
        state.appended(through: 30)
        _ = state.wait(through: 30, "c")
        struct EIO: Error {}
        #expect(state.flushFailed(EIO()) == ["b", "c"])
        #expect(state.durable == 0)
        guard case .failed = state.wait(through: 10, "a again") else { Issue.record("a must not be released"); return }
        state.appended(through: 40)
        guard case .failed = state.wait(through: 40, "d") else { Issue.record("d must fail"); return }
    }

    @Test("a flush that never ran hands the flush to the next waiter, or to the next writer")
    func abandonedFlush() {
        var state = State(size: 0)
        state.appended(through: 10)
        _ = state.wait(through: 10, "a")
        state.appended(through: 20)
        _ = state.wait(through: 20, "b")
        #expect(state.flushAbandoned()?.waiter == "b")
        #expect(state.flushAbandoned() == nil)
        guard case .flush(through: 20) = state.wait(through: 20, "c") else { Issue.record("c flushes"); return }
    }
}

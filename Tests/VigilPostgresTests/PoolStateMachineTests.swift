import Testing
@testable import VigilPostgres

/// The pool's decisions without any connection: connections are ints, waiters names.
@Suite(.timeLimit(.minutes(1))) struct PoolStateMachineTests {
    typealias Machine = PoolStateMachine<Int, String>

    static func isConnect(_ grant: PoolGrant<Int>?) -> Bool {
        if case .connect? = grant { return true }
        return false
    }

    static func connection(_ grant: PoolGrant<Int>?) -> Int? {
        if case .connection(let c)? = grant { return c }
        return nil
    }

    @Test func opensUpToSizeThenQueuesAndReusesIdleConnections() {
        var pool = Machine(size: 2)
        #expect(Self.isConnect(pool.tryLease()) && Self.isConnect(pool.tryLease()))
        #expect(pool.tryLease() == nil, "a third request must wait")
        #expect(pool.release(1) == nil)
        #expect(Self.connection(pool.tryLease()) == 1, "an idle connection is reused, not a new one opened")
        #expect(pool.open == 2)
    }

    @Test func releasedConnectionsGoToWaitersInArrivalOrder() {
        var pool = Machine(size: 1)
        _ = pool.tryLease()
        let a = pool.reserve(), b = pool.reserve()
        guard case .queued = pool.enqueue(a, "a"), case .queued = pool.enqueue(b, "b") else { Issue.record("not queued"); return }
        let first = pool.release(7)
        #expect(first?.waiter == "a" && Self.connection(first?.grant) == 7)
        let second = pool.release(7)
        #expect(second?.waiter == "b")
        #expect(pool.release(7) == nil && pool.idleCount == 1)
    }

    @Test func aCancelledRequestLeavesTheLineAndIsNeverServed() {
        var pool = Machine(size: 1)
        _ = pool.tryLease()
        let a = pool.reserve(), b = pool.reserve()
        _ = pool.enqueue(a, "a")
        _ = pool.enqueue(b, "b")
        #expect(pool.abandon(a) == "a", "the caller fails the waiter it gets back")
        #expect(pool.waiting == 1)
        #expect(pool.release(3)?.waiter == "b", "the connection skips the cancelled request")
        #expect(pool.abandon(a) == nil, "abandoning twice does nothing")
    }

    @Test func aRequestAbandonedBeforeItQueuedNeverQueues() {
        var pool = Machine(size: 1)
        _ = pool.tryLease()
        let a = pool.reserve()
        #expect(pool.abandon(a) == nil)
        guard case .abandoned = pool.enqueue(a, "a") else { Issue.record("queued after it was cancelled"); return }
        #expect(pool.waiting == 0)
    }

    @Test func aRequestServedAfterTryLeaseMissedIsGrantedOnEnqueue() {
        var pool = Machine(size: 1)
        _ = pool.tryLease()
        #expect(pool.tryLease() == nil)
        _ = pool.release(5)  // released between the caller's two steps
        guard case .granted(let grant) = pool.enqueue(pool.reserve(), "late") else { Issue.record("queued beside an idle connection"); return }
        #expect(Self.connection(grant) == 5)
    }

    @Test func aBrokenConnectionIsReplacedByTheFirstWaiter() {
        var pool = Machine(size: 1)
        _ = pool.tryLease()
        _ = pool.enqueue(pool.reserve(), "a")
        let handOff = pool.slotFreed()
        #expect(handOff?.waiter == "a" && Self.isConnect(handOff?.grant), "the waiter opens the replacement")
        #expect(pool.open == 1)
        // That connect fails too, with nobody waiting: the slot is simply free.
        #expect(pool.slotFreed() == nil && pool.open == 0)
        #expect(Self.isConnect(pool.tryLease()))
    }
}

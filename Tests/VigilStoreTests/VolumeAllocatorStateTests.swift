import Testing
import VigilPostgres
@testable import VigilFrontend

/// The allocator's decisions without nodes or a database: waiters are names.
@Suite(.timeLimit(.minutes(1))) struct VolumeAllocatorStateTests {
    typealias State = VolumeAllocatorState<String>

    static func volume(_ id: Int64) -> VolumeLease {
        VolumeLease(volume: id, replicas: [NodeRecord(id: 1, name: "n1", address: "127.0.0.1:1", state: "up")])
    }

    static func isOpen(_ job: State.Job?) -> Bool {
        if case .open? = job { return true }
        return false
    }

    static func sealed(_ job: State.Job?) -> Int64? {
        if case .seal(let lease)? = job { return lease.volume }
        return nil
    }

    @Test func writesWaitForTheBackgroundToOpenAVolumeThenTakePlacesInOrder() {
        var state = State(targetBytes: 100)
        #expect(state.lease(bytes: 10) == nil, "no open volume: the write does not open one itself")
        for name in ["a", "b", "c"] {
            guard case .queued = state.enqueue(state.reserve(), bytes: 40, name) else { Issue.record("not queued"); return }
        }
        #expect(Self.isOpen(state.nextJob()))
        #expect(state.nextJob() == nil, "one opening at a time")
        let served = state.opened(Self.volume(7))
        // 40 + 40 fill less than 100; the third reaches it and the volume is full.
        #expect(served.map { $0.waiter } == ["a", "b", "c"] && served.allSatisfy { $0.lease.volume == 7 })
        #expect(state.current == nil, "the volume is full: no further write goes to it")
        #expect(state.nextJob() == nil, "nobody waits: nothing to open")
    }

    @Test func aFullVolumeIsSealedInTheBackgroundOnlyAfterItsLastWrite() {
        var state = State(targetBytes: 100)
        _ = state.enqueue(state.reserve(), bytes: 60, "a")
        _ = state.nextJob()
        let first = state.opened(Self.volume(3))[0].lease
        let second = state.lease(bytes: 60)!
        let earlyRelease = state.release(first)
        #expect(!earlyRelease, "one write still in flight")
        #expect(state.nextJob() == nil)
        let lastRelease = state.release(second)
        #expect(lastRelease, "the last write done: ready to seal")
        #expect(Self.sealed(state.nextJob()) == 3)
        #expect(state.nextJob() == nil, "sealed once")
    }

    @Test func aCancelledOrTimedOutWriteLeavesTheLine() {
        var state = State(targetBytes: 100)
        let a = state.reserve(), b = state.reserve()
        _ = state.enqueue(a, bytes: 10, "a")
        _ = state.enqueue(b, bytes: 10, "b")
        #expect(state.abandon(a) == "a")
        _ = state.nextJob()
        let served = state.opened(Self.volume(1)).map { $0.waiter }
        #expect(served == ["b"])
        let c = state.reserve()
        #expect(state.abandon(c) == nil)
        guard case .abandoned = state.enqueue(c, bytes: 10, "c") else { Issue.record("queued after it was cancelled"); return }
    }

    @Test func aFailedOpeningFailsTheWaitersAndTheNextWriteTriesAgain() {
        var state = State(targetBytes: 100)
        _ = state.enqueue(state.reserve(), bytes: 10, "a")
        #expect(Self.isOpen(state.nextJob()))
        let failed = state.openFailed()
        #expect(failed == ["a"])
        #expect(state.nextJob() == nil)
        _ = state.enqueue(state.reserve(), bytes: 10, "b")
        #expect(Self.isOpen(state.nextJob()), "a new write asks for a volume again")
    }

    @Test func aFailedReplicaWriteRetiresTheVolumeWithoutSealingIt() {
        var state = State(targetBytes: 100)
        _ = state.enqueue(state.reserve(), bytes: 10, "a")
        _ = state.nextJob()
        let lease = state.opened(Self.volume(9))[0].lease
        state.fail(lease)
        #expect(state.lease(bytes: 10) == nil, "the volume takes no more writes")
        let readyToSeal = state.release(lease)
        #expect(!readyToSeal && state.nextJob() == nil, "the master seals it, not the frontend")
    }
}

import Testing
@testable import VigilExtentReferee
import VigilCore

@Suite(.timeLimit(.minutes(1))) struct TransitionPairingTests {
    let name = ExtentName(volume: 7, generation: 1)

    func event(_ dir: String, _ file: String, _ kind: DirectoryEvent.Kind, _ cookie: UInt32 = 0) -> DirectoryEvent {
        DirectoryEvent(directory: dir, name: file, kind: kind, cookie: cookie)
    }

    @Test func renameHalvesPairIntoTransitions() {
        var pairing = TransitionPairing()
        #expect(pairing.feed([event("extents", "v7.g1.extent", .movedFrom, 1), event("trash", "v7.g1.extent", .movedTo, 1)]) == [.trashed(name)])
        #expect(pairing.feed([event("trash", "v7.g1.extent", .movedFrom, 2), event("extents", "v7.g1.extent", .movedTo, 2)]) == [.restored(name)])
        #expect(pairing.feed([event("extents", "v7.g1.extent.incoming-AB", .movedFrom, 3), event("extents", "v7.g1.extent", .movedTo, 3)]) == [.installed(name)])
        #expect(pairing.feed([event("extents", "v7.g1.extent", .deleted)]) == [.deletedFromExtents(name)])
        #expect(pairing.feed([event("trash", "v7.g1.extent", .deleted)]) == [.unlinkedFromTrash(name)])
    }

    @Test func aMoveOutOfTheWatchedDirectoriesIsReportedOneBatchLater() {
        var pairing = TransitionPairing()
        #expect(pairing.feed([event("extents", "v7.g1.extent", .movedFrom, 9)]).isEmpty)
        #expect(pairing.feed([]) == [.movedAway(name, to: "outside the data directory")])
    }

    @Test func renamingAnExtentToAnotherNameIsAMoveAway() {
        var pairing = TransitionPairing()
        #expect(pairing.feed([event("extents", "v7.g1.extent", .movedFrom, 4), event("extents", "v7.g1.extent.bak", .movedTo, 4)])
                == [.movedAway(name, to: "extents/v7.g1.extent.bak")])
    }
}

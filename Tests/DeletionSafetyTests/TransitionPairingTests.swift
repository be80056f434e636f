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

    @Test func noReplaceMovesPairByNameAndNewNamesAppearAfterWaiting() {
        var pairing = TransitionPairing()
        // Trash and restore by link, sync, unlink — halves in one batch or in the next.
        #expect(pairing.feed([event("trash", "v7.g1.extent", .created), event("extents", "v7.g1.extent", .deleted)]) == [.trashed(name)])
        #expect(pairing.feed([event("extents", "v7.g1.extent", .created)]).isEmpty)
        #expect(pairing.feed([event("trash", "v7.g1.extent", .deleted)]) == [.restored(name)])
        // A new name in extents/ with no deletion behind it appeared (an install), once the wait is over.
        let installed = ExtentName(volume: 7, generation: 2)
        #expect(pairing.feed([event("extents", "v7.g2.extent", .created), event("extents", "v7.g2.extent.incoming-X", .deleted)]).isEmpty)
        var later: [Transition] = []
        for _ in 0..<TransitionPairing.createdPatience { later += pairing.feed([]) }
        #expect(later == [.appeared(installed)])
        // A copy into trash/ alone is nothing to judge; a deletion from extents/ alone is one.
        #expect(pairing.feed([event("trash", "v7.g3.extent", .created)]).isEmpty)
        for _ in 0..<TransitionPairing.createdPatience { #expect(pairing.feed([]).isEmpty) }
        #expect(pairing.feed([event("extents", "v7.g1.extent", .deleted)]) == [.deletedFromExtents(name)])
    }
}

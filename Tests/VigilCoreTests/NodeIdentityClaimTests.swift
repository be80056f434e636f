import Foundation
import Testing
import VigilCore

/// Recording a node's identity in its data directory: first claim wins, even
/// among claims racing on one directory; nothing replaces a recorded identity.
@Suite(.timeLimit(.minutes(1))) struct NodeIdentityClaimTests {
    func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-claim-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    @Test("of eight nodes claiming one directory at once, exactly one wins and its identity is recorded")
    func racingClaims() throws {
        try withDirectory { directory in
            let outcomes = LockedValue<[Int: Bool]>([:])
            DispatchQueue.concurrentPerform(iterations: 8) { id in
                let won = (try? NodeIdentity(zone: "zone-a", nodeID: id + 1).claim(dataDirectory: directory)) != nil
                outcomes.withLock { $0[id + 1] = won }
            }
            let winners = outcomes.withLock { $0 }.filter(\.value).map(\.key)
            #expect(winners.count == 1, "winners: \(winners)")
            #expect(try NodeIdentity.recorded(in: directory) == NodeIdentity(zone: "zone-a", nodeID: winners.first ?? 0))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory)
            #expect(leftovers == [NodeIdentity.fileName], "temporary files left: \(leftovers)")
        }
    }

    @Test("the same identity claims again; another one, or a verifier checking for it, is refused and changes nothing")
    func recordedIdentityStays() throws {
        try withDirectory { directory in
            let owner = NodeIdentity(zone: "zone-a", nodeID: 2)
            #expect(try !owner.check(dataDirectory: directory))
            try owner.claim(dataDirectory: directory)
            try owner.claim(dataDirectory: directory)
            #expect(try owner.check(dataDirectory: directory))
            #expect(throws: NodeIdentityError.self) { try NodeIdentity(zone: "zone-b", nodeID: 2).claim(dataDirectory: directory) }
            #expect(throws: NodeIdentityError.self) {
                try NodeIdentity(zone: "zone-a", nodeID: 1).verify(dataDirectory: directory) { _ in }
            }
            #expect(try NodeIdentity.recorded(in: directory) == owner)
        }
    }
}

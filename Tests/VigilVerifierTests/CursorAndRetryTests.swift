import Foundation
import Testing
import VigilPostgres
import VigilVerifier

@Suite("Verifier runtime: one cursor encoding, failures sorted by kind", .timeLimit(.minutes(1)))
struct CursorAndRetryTests {
    struct Position: Codable, Equatable {
        var phase: Int
        var lastKey: String?
    }

    @Test func aCursorRoundTripsThroughTheOneEncoding() throws {
        let cursor = Position(phase: 2, lastKey: "ab")
        let bytes = try CursorEncoding.encode(cursor, version: 3)
        #expect(String(decoding: bytes, as: UTF8.self) == #"{"at":{"lastKey":"ab","phase":2},"v":3}"#)
        #expect(try CursorEncoding.decode(Position.self, from: bytes, version: 3) == cursor)
    }

    @Test func oldLayoutsOtherVersionsAndDamageAreErrorsNotCrashes() throws {
        // The scanner's hand-laid layout before the runtime owned cursors: flags, key, count, end marker.
        let oldScannerCursor: [UInt8] = [1] + [UInt8](repeating: 0xAB, count: 32) + [0, 0, 0, 0, 0xEE]
        let current = try CursorEncoding.encode(Position(phase: 1), version: 1)
        for (stored, why) in [
            (oldScannerCursor, "not a versioned cursor"), (Array("extents/v1.g1.extent".utf8), "not a versioned cursor"),
            (try CursorEncoding.encode(Position(phase: 1), version: 2), "cursor version 2"),
            (Array(current.dropLast(3)), "not a versioned cursor"),
            (Array(#"{"v":1,"at":{"phase":"two"}}"#.utf8), "does not decode"),
        ] {
            #expect(throws: CursorDecodingError.self) { try CursorEncoding.decode(Position.self, from: stored, version: 1) }
            do {
                _ = try CursorEncoding.decode(Position.self, from: stored, version: 1)
            } catch {
                #expect(error.description.contains(why), "\(error)")
            }
        }
    }

    @Test func errorsThatSayTheyAreNotRetriableArePermanent() {
        struct Unsorted: Error {}
        #expect(StepFailure(PostgresError(code: .connection, message: "server closed the connection")) == .retriable)
        #expect(StepFailure(PostgresError(code: .server, sqlState: "40P01", message: "deadlock")) == .retriable)
        #expect(StepFailure(PostgresError(code: .server, sqlState: "42501", message: "permission denied")) == .permanent)
        #expect(StepFailure(Unsorted()) == .retriable, "an error that does not say is retried, as before")
    }

    @Test func retriableFailuresBackOffUpToTheLongestDelayAndSuccessResets() {
        var backoff = RetryBackoff(first: .seconds(1), longest: .seconds(5), afterPermanent: .seconds(60))
        #expect((0..<5).map { _ in backoff.delay(after: .retriable) } == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)])
        #expect(backoff.delay(after: .permanent) == .seconds(60))
        backoff.succeeded()
        #expect(backoff.delay(after: .retriable) == .seconds(1))
    }
}

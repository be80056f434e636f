import Foundation
import Testing
import VigilCore
import VigilTestSupport
@testable import VigilExtentReferee

/// inotify watches inodes, not paths: a node's `extents/` replaced under the
/// referee (a new disk mounted, a snapshot restored) must end the watch with
/// an error the watch lane shows (it then watches again and reconciles), never
/// leave it blind and healthy. An untouched directory never trips it.
@Suite("Extent referee: a replaced data directory ends the watch", .serialized)
struct RefereeDirectoryReplacedTests {
    /// Reads batches until the stream ends or `limit` batches went by; the error it ended with, if any.
    static func endingError(_ watch: DirectoryWatch, within limit: Int) async -> (any Error)? {
        var batches = watch.batches.makeAsyncIterator()
        do {
            for _ in 0..<limit { guard try await batches.next() != nil else { return nil } }
        } catch {
            return error
        }
        return nil
    }

    @Test("extents/ replaced by another directory of the same name: the watch ends with DirectoryReplaced; left alone, it runs on",
          .timeLimit(.minutes(1)))
    func replacedDirectoryEndsTheWatch() async throws {
        let root = try makeTemporaryDirectory("vigil-referee-replaced").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let steady = try await DirectoryWatch(dataDirectory: root)
        FileManager.default.createFile(atPath: "\(root)/extents/v1.g1.extent", contents: Data([1, 2, 3]))
        #expect(await Self.endingError(steady, within: 15) == nil, "three seconds of an untouched directory (and a new file) end nothing")
        steady.stop()

        let watch = try await DirectoryWatch(dataDirectory: root)
        try FileManager.default.moveItem(atPath: "\(root)/extents", toPath: "\(root)/extents.old")
        try FileManager.default.createDirectory(atPath: "\(root)/extents", withIntermediateDirectories: false)
        let error = await Self.endingError(watch, within: 50)
        #expect(error is DirectoryReplaced, "got \(String(describing: error))")
        watch.stop()

        let again = try await DirectoryWatch(dataDirectory: root)
        #expect(await Self.endingError(again, within: 10) == nil, "watching the new directory is steady")
        again.stop()
    }
}

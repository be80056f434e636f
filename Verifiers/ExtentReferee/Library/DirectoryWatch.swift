import Foundation
import VigilCore

/// The referee's watch on a node's `extents/` and `trash/`: an inotify
/// descriptor read on a thread of its own (its blocking reads never run on the
/// cooperative pool), its batches delivered in order, an empty one every 200 ms
/// so pending move halves expire. `stop()` ends the thread within one read;
/// a failed read ends `batches` with its error.
final class DirectoryWatch: Sendable {
    let batches: AsyncThrowingStream<[DirectoryEvent], any Error>
    private let stopped = LockedValue(false)

    /// Starts watching (making the directories if the node has not yet).
    init(dataDirectory: String) async throws {
        let watcher = try await blockingIO {
            for directory in ["extents", "trash"] {
                try FileManager.default.createDirectory(atPath: "\(dataDirectory)/\(directory)", withIntermediateDirectories: true)
            }
            return try InotifyWatcher(directories: ["extents": dataDirectory + "/extents", "trash": dataDirectory + "/trash"])
        }
        let (stream, continuation) = AsyncThrowingStream<[DirectoryEvent], any Error>.makeStream()
        batches = stream
        let thread = Thread { [stopped] in
            while !stopped.value {
                do {
                    continuation.yield(try watcher.next(timeoutMs: 200))
                } catch {
                    continuation.finish(throwing: error)
                    return
                }
            }
            continuation.finish()
        }
        thread.name = "vigil.referee.inotify"
        thread.start()
    }

    func stop() { stopped.withLock { $0 = true } }

    deinit { stop() }
}

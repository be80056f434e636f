import Foundation
import VigilCore

/// The referee's watch on a node's `extents/` and `trash/`: an inotify
/// descriptor read on a thread of its own (its blocking reads never run on the
/// cooperative pool), its batches delivered in order, an empty one every 200 ms
/// so pending move halves expire. `stop()` ends the thread within one read;
/// a failed read ends `batches` with its error. inotify watches inodes, not
/// paths: a directory replaced under the node (a new disk mounted, a snapshot
/// restored, a rename) would leave the watch blind and silent, so about once a
/// second the paths' identities are compared with the watched ones, and a
/// change ends `batches` with `DirectoryReplaced` (the watch lane shows it,
/// watches again and reconciles what it missed).
final class DirectoryWatch: Sendable {
    let batches: AsyncThrowingStream<[DirectoryEvent], any Error>
    private let stopped = LockedValue(false)

    /// Starts watching (making the directories if the node has not yet).
    init(dataDirectory: String) async throws {
        let watcher = try await blockingIO {
            for directory in ["extents", "trash"] {
                try FileManager.default.createDirectory(atPath: "\(dataDirectory)/\(directory)", withIntermediateDirectories: true)
            }
            let identities = try Self.identities(dataDirectory)
            return (try InotifyWatcher(directories: ["extents": dataDirectory + "/extents", "trash": dataDirectory + "/trash"]), identities)
        }
        let (stream, continuation) = AsyncThrowingStream<[DirectoryEvent], any Error>.makeStream()
        batches = stream
        let thread = Thread { [stopped] in
            var reads = 0
            while !stopped.value {
                do {
                    continuation.yield(try watcher.0.next(timeoutMs: 200))
                    reads += 1
                    if reads % 5 == 0, (try? Self.identities(dataDirectory)) != watcher.1 {
                        throw DirectoryReplaced(dataDirectory: dataDirectory)
                    }
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

    /// (device, inode) of `extents/` and `trash/` as their paths name them now.
    static func identities(_ dataDirectory: String) throws -> [UInt64] {
        try ["extents", "trash"].flatMap { directory -> [UInt64] in
            let status = try FileStatus.of(path: "\(dataDirectory)/\(directory)")
            return [status.device, status.inode]
        }
    }

    deinit { stop() }
}

/// The watched directories are no longer the ones the paths name.
struct DirectoryReplaced: Error, CustomStringConvertible {
    var dataDirectory: String
    var description: String {
        "\(dataDirectory)/extents or trash was replaced (a new disk, a restore, a rename): the watch was blind to it; watching again and reconciling"
    }
}

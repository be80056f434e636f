import Foundation
import Glibc
import Synchronization

/// Kills a process the moment an extent file lands in a directory (inotify, on
/// its own thread): a crash between two steps of the master that a poll would
/// miss. Gives up after `timeout`.
final class KillOnArrival: Sendable {
    private let done = Atomic<Bool>(false)
    var fired: Bool { done.load(ordering: .acquiring) }

    init(directory: String, pid: Int32, timeout: TimeInterval = 60) throws {
        let fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0, inotify_add_watch(fd, directory, UInt32(IN_MOVED_TO | IN_CREATE)) >= 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EINVAL)
        }
        let thread = Thread { [self] in
            defer { close(fd) }
            let deadline = Date().addingTimeInterval(timeout)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&ready, 1, 100) > 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                var offset = 0
                while offset + 16 <= count {
                    let length = buffer.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self)) }
                    let name = String(decoding: buffer[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }, as: UTF8.self)
                    offset += 16 + length
                    if name.hasSuffix(".extent") {
                        kill(pid, SIGKILL)
                        self.done.store(true, ordering: .releasing)
                        return
                    }
                }
            }
        }
        thread.start()
    }
}

#if canImport(Glibc)
import Glibc
#endif
import VigilCore

/// A change in a watched directory, as inotify reports it.
struct DirectoryEvent: Sendable, Equatable {
    enum Kind: Sendable, Equatable { case movedFrom, movedTo, deleted, created, overflow }
    var directory: String
    var name: String
    var kind: Kind
    var cookie: UInt32
}

/// Watches directories with Linux inotify. `next` blocks its (dedicated) thread
/// for at most `timeoutMs`; the descriptor is closed on deinit.
final class InotifyWatcher: @unchecked Sendable {
    private let fd: Int32
    private var directories: [Int32: String] = [:]

    init(directories paths: [String: String]) throws {
        fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw FileIOError(path: "inotify", operation: "inotify_init1", errno: errno) }
        for (label, path) in paths {
            let mask = UInt32(IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_CREATE)
            let wd = inotify_add_watch(fd, path, mask)
            guard wd >= 0 else { throw FileIOError(path: path, operation: "inotify_add_watch", errno: errno) }
            directories[wd] = label
        }
    }

    deinit { close(fd) }

    /// The events available within `timeoutMs` (empty when none).
    func next(timeoutMs: Int32) throws -> [DirectoryEvent] {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeoutMs)
        guard ready > 0 else { return [] }
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n > 0 else { return [] }
        var events: [DirectoryEvent] = []
        var offset = 0
        let header = MemoryLayout<inotify_event>.size
        buffer.withUnsafeBytes { raw in
            while offset + header <= n {
                let wd = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let cookie = raw.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)
                let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameBytes = raw[(offset + header)..<min(n, offset + header + length)].prefix { $0 != 0 }
                let name = String(decoding: nameBytes, as: UTF8.self)
                offset += header + length
                if mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    events.append(DirectoryEvent(directory: "", name: "", kind: .overflow, cookie: 0))
                    continue
                }
                guard let directory = directories[wd] else { continue }
                let kind: DirectoryEvent.Kind
                if mask & UInt32(IN_MOVED_FROM) != 0 { kind = .movedFrom }
                else if mask & UInt32(IN_MOVED_TO) != 0 { kind = .movedTo }
                else if mask & UInt32(IN_DELETE) != 0 { kind = .deleted }
                else if mask & UInt32(IN_CREATE) != 0 { kind = .created }
                else { continue }
                events.append(DirectoryEvent(directory: directory, name: name, kind: kind, cookie: cookie))
            }
        }
        return events
    }
}

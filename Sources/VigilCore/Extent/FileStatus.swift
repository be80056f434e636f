#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat` says of a file: which file it is (device and inode), how large,
/// and when its contents last changed. A node compares it with what it last
/// knew to notice a file replaced, renamed over, truncated or rewritten under it.
public struct FileStatus: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var size: UInt64
    /// Last modification of the contents, in nanoseconds since the epoch.
    public var modifiedNanos: Int64

    public init(device: UInt64, inode: UInt64, size: UInt64, modifiedNanos: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.modifiedNanos = modifiedNanos
    }

    init(_ st: stat) {
        #if canImport(Darwin)
        let seconds = Int64(st.st_mtimespec.tv_sec), nanos = Int64(st.st_mtimespec.tv_nsec)
        #else
        let seconds = Int64(st.st_mtim.tv_sec), nanos = Int64(st.st_mtim.tv_nsec)
        #endif
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self.init(
            device: UInt64(truncatingIfNeeded: st.st_dev), inode: UInt64(truncatingIfNeeded: st.st_ino),
            size: UInt64(clamping: max(0, Int64(st.st_size))),
            modifiedNanos: overflow ? seconds : scaled &+ nanos)
    }

    /// The status of the file at `path` (following a symbolic link).
    public static func of(path: String) throws -> FileStatus {
        var st = stat()
        guard stat(path, &st) == 0 else { throw FileIOError(path: path, operation: "stat", errno: errno) }
        return FileStatus(st)
    }

    /// True when both name the same file (device and inode).
    public func isSameFile(as other: FileStatus) -> Bool {
        device == other.device && inode == other.inode
    }
}

/// Makes a file's data and metadata durable; every failure is thrown.
public func syncFile(at path: String) throws {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileIOError(path: path, operation: "open", errno: errno) }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw FileIOError(path: path, operation: "fsync", errno: errno) }
}

/// Moves `source` to `target` (same file system) without ever replacing a file
/// at `target`: links the new name (which fails with `EEXIST` when it is
/// taken), syncs its directory, unlinks the old name and syncs that directory.
/// A crash leaves the file under one name or both, never under neither. When
/// `target` already is the same file (a move a crash interrupted), the move is
/// completed rather than refused.
public func moveWithoutReplacing(from source: String, to target: String) throws {
    if link(source, target) != 0 {
        let failure = errno
        guard failure == EEXIST,
              let from = try? FileStatus.of(path: source), let to = try? FileStatus.of(path: target), from.isSameFile(as: to)
        else { throw FileIOError(path: target, operation: "link", errno: failure) }
    }
    try syncDirectory(containing: target)
    guard unlink(source) == 0 else { throw FileIOError(path: source, operation: "unlink", errno: errno) }
    try syncDirectory(containing: source)
}

/// Unlinks a file and syncs its directory, so the removal survives a crash.
public func unlinkDurably(_ path: String) throws {
    guard unlink(path) == 0 else { throw FileIOError(path: path, operation: "unlink", errno: errno) }
    try syncDirectory(containing: path)
}

/// Renames `source` over `target` (replacing it) and syncs the directory.
public func renameDurably(from source: String, to target: String) throws {
    guard rename(source, target) == 0 else { throw FileIOError(path: target, operation: "rename", errno: errno) }
    try syncDirectory(containing: target)
    if directoryOf(source) != directoryOf(target) { try syncDirectory(containing: source) }
}

func directoryOf(_ path: String) -> String {
    let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    return directory.isEmpty ? "." : directory
}

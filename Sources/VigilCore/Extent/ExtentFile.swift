#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error from the file system, with the path and the system's reason.
public struct FileIOError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var errno: Int32

    public init(path: String, operation: String, errno: Int32) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        "\(operation) \(path): \(String(cString: strerror(errno)))"
    }

    /// The file is gone (a vanished item, not a corruption).
    public var isNotFound: Bool { errno == ENOENT }

    /// The name is taken (a move that never replaces a file found one there).
    public var isAlreadyExists: Bool { errno == EEXIST }
}

/// An open file descriptor with positional reads and writes; closed on deinit.
final class ExtentFile {
    let path: String
    let fd: Int32

    init(path: String, flags: Int32, mode: mode_t = 0o644) throws {
        self.path = path
        let fd = open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileIOError(path: path, operation: "open", errno: errno) }
        self.fd = fd
    }

    deinit { close(fd) }

    func size() throws -> UInt64 {
        try status().size
    }

    /// What `fstat` says of the open file.
    func status() throws -> FileStatus {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileIOError(path: path, operation: "stat", errno: errno) }
        return FileStatus(st)
    }

    /// `offset + done` as a file position, or nil when no file can reach it
    /// (offsets come from disk and the network: they are never trusted to fit).
    static func position(_ offset: UInt64, plus done: Int) -> off_t? {
        guard let start = Int64(exactly: offset) else { return nil }
        let (position, overflow) = start.addingReportingOverflow(Int64(done))
        return overflow ? nil : off_t(position)
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    /// An offset beyond any possible file size reads as the end of the file.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: UInt64) throws -> Int {
        var done = 0
        while done < count {
            guard let position = Self.position(offset, plus: done) else { break }
            let n = pread(fd, buffer + done, count - done, position)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        var done = 0
        while done < bytes.count {
            guard let position = Self.position(offset, plus: done) else {
                throw FileIOError(path: path, operation: "write", errno: EFBIG)
            }
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, position)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIOError(path: path, operation: "write", errno: errno)
            }
            done += n
        }
    }

    func syncData() throws {
        guard fdatasync(fd) == 0 else { throw FileIOError(path: path, operation: "fdatasync", errno: errno) }
    }

    func truncate(to size: UInt64) throws {
        guard let length = Self.position(size, plus: 0) else { throw FileIOError(path: path, operation: "truncate", errno: EFBIG) }
        guard ftruncate(fd, length) == 0 else { throw FileIOError(path: path, operation: "truncate", errno: errno) }
    }
}

/// Makes the directory entries in `path`'s directory durable (after a create,
/// rename or unlink there): without it a crash can lose the name, not the data.
public func syncDirectory(containing path: String) throws {
    let directory = directoryOf(path)
    let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard fd >= 0 else { throw FileIOError(path: directory, operation: "open directory", errno: errno) }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw FileIOError(path: directory, operation: "fsync directory", errno: errno) }
}

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
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileIOError(path: path, operation: "stat", errno: errno) }
        return UInt64(st.st_size)
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: UInt64) throws -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset) + off_t(done))
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
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
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
        guard ftruncate(fd, off_t(size)) == 0 else { throw FileIOError(path: path, operation: "truncate", errno: errno) }
    }
}

/// Makes the directory entries in `path`'s directory durable (after a create,
/// rename or unlink there): without it a crash can lose the name, not the data.
public func syncDirectory(containing path: String) throws {
    let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
    let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY)
    guard fd >= 0 else { throw FileIOError(path: directory, operation: "open directory", errno: errno) }
    defer { close(fd) }
    guard fsync(fd) == 0 else { throw FileIOError(path: directory, operation: "fsync directory", errno: errno) }
}

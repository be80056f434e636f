#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file read or written sequentially in chunks (streaming an extent over
/// HTTP, receiving one). Used by one task at a time; closed on deinit.
public final class RawFile: @unchecked Sendable {
    private let file: ExtentFile
    private var position: UInt64 = 0

    private init(file: ExtentFile) { self.file = file }

    public static func openForReading(path: String) throws -> RawFile {
        RawFile(file: try ExtentFile(path: path, flags: O_RDONLY))
    }

    /// Creates a new file; fails if it exists.
    public static func create(path: String) throws -> RawFile {
        RawFile(file: try ExtentFile(path: path, flags: O_WRONLY | O_CREAT | O_EXCL))
    }

    public func size() throws -> UInt64 { try file.size() }

    /// The next chunk of at most `count` bytes; empty at the end of the file.
    public func readNext(upTo count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let n = try buffer.withUnsafeMutableBytes { try file.read(into: $0.baseAddress!, count: count, at: position) }
        position += UInt64(n)
        buffer.removeLast(count - n)
        return buffer
    }

    public func append(_ bytes: UnsafeRawBufferPointer) throws {
        try file.write(bytes, at: position)
        position += UInt64(bytes.count)
    }

    public func sync() throws { try file.syncData() }
}

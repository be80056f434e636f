#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A sliding window over a file region read in large sequential reads.
///
/// Callers ask for byte ranges at non-decreasing offsets; the window slides
/// forward, keeping at most `chunk + largest request` bytes in memory.
final class ReadWindow {
    private let file: ExtentFile
    private let limit: UInt64
    private let chunk: Int
    private var buffer: UnsafeMutableRawBufferPointer
    private var start: UInt64 = 0  // file offset of buffer[0]
    private var filled = 0          // valid bytes in buffer
    private let onRead: (Int) -> Void

    /// Reads within `[0, limit)` of `file`, `chunk` bytes at a time.
    init(file: ExtentFile, limit: UInt64, chunk: Int, maxRequest: Int, onRead: @escaping (Int) -> Void = { _ in }) {
        self.file = file
        self.limit = limit
        self.chunk = chunk
        self.onRead = onRead
        buffer = .allocate(byteCount: chunk + maxRequest, alignment: 64)
    }

    deinit { buffer.deallocate() }

    /// The `count` bytes at `offset`, valid until the next call; `nil` when the
    /// range runs past the limit or the file ends early.
    func bytes(at offset: UInt64, count: Int) throws -> UnsafeRawBufferPointer? {
        precondition(count <= buffer.count - chunk, "request larger than the window allows")
        let (end, overflow) = offset.addingReportingOverflow(UInt64(count))
        guard !overflow, offset >= start, end <= limit else { return nil }
        if end > start + UInt64(filled) {
            try refill(keepingFrom: offset, need: count)
        }
        let at = Int(offset - start)
        guard at + count <= filled else { return nil }
        return UnsafeRawBufferPointer(rebasing: buffer[at..<(at + count)])
    }

    private func refill(keepingFrom offset: UInt64, need: Int) throws {
        // Slide the window to start at `offset`, keeping what was already read.
        let windowEnd = start + UInt64(filled)
        if offset < windowEnd {
            let keepFrom = Int(offset - start)
            filled -= keepFrom
            if keepFrom > 0, filled > 0 {
                memmove(buffer.baseAddress!, buffer.baseAddress! + keepFrom, filled)
            }
        } else {
            filled = 0
        }
        start = offset
        while filled < need {
            let fileOffset = start + UInt64(filled)
            let room = buffer.count - filled
            let want = Int(min(UInt64(max(chunk, need - filled)), UInt64(room), limit - fileOffset))
            if want <= 0 { break }
            let n = try file.read(into: buffer.baseAddress! + filled, count: want, at: fileOffset)
            onRead(n)
            if n == 0 { break }
            filled += n
        }
    }
}

import Foundation
import VigilCore

/// Flips one bit (0x10) of the first record's first data byte of the sealed
/// extent at `path`, in place (what a bad sector does): its header stays
/// intact, its data checksum no longer matches. Throws if the extent has no
/// readable footer or no record.
public func flipFirstRecordDataBit(at path: String) throws {
    guard let first = try ExtentReader(path: path).footer()?.first else {
        throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
    }
    let offset = first.offset + UInt64(ExtentFormat.recordHeaderSize)
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    let byte = try handle.read(upToCount: 1)![0]
    try handle.seek(toOffset: offset)
    try handle.write(contentsOf: Data([byte ^ 0x10]))
}

import Foundation
import VigilCore

/// One volume's extent in `extents/`: its writer while open, behind a lock
/// that serialises appends, seal and replacement.
final class VolumeExtent: @unchecked Sendable {
    let name: ExtentName
    let path: String
    private let lock = NSLock()
    // Guarded by `lock`.
    private var writer: ExtentWriter?
    private(set) var isSealed: Bool
    /// Set when the extent could not be reopened for appends (damaged tail).
    private(set) var isDamaged: Bool

    init(name: ExtentName, path: String, writer: ExtentWriter?, sealed: Bool, damaged: Bool) {
        self.name = name
        self.path = path
        self.writer = writer
        self.isSealed = sealed
        self.isDamaged = damaged
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Appends under the lock; the caller holds it via `withLock`.
    func appendLocked(key: BlockKey, data: UnsafeRawBufferPointer, fsync: Bool) throws -> FooterEntry {
        guard let writer, !isSealed else { throw NodeError.sealed(volume: name.volume, damaged: isDamaged) }
        let entry = try writer.append(key: key, data: data, writtenAtMicros: nowMicros())
        if fsync { try writer.sync() }
        return entry
    }

    func sealLocked() throws {
        guard !isSealed else { return }
        guard let writer else { throw NodeError.sealed(volume: name.volume, damaged: isDamaged) }
        try writer.seal()
        self.writer = nil
        isSealed = true
    }

    /// Opens an extent found on disk at start or after an install.
    static func open(name: ExtentName, path: String) throws -> (VolumeExtent, [FooterEntry]) {
        if let footer = try ExtentReader(path: path).footer() {
            return (VolumeExtent(name: name, path: path, writer: nil, sealed: true, damaged: false), footer)
        }
        do {
            let writer = try ExtentWriter.openForAppend(path: path)
            return (VolumeExtent(name: name, path: path, writer: writer, sealed: writer.isSealed, damaged: false), writer.entries)
        } catch is ExtentWriteError {
            // Damaged: serve what is intact, take no more writes; the scrubber reports it.
            let entries = try intactEntries(path: path)
            return (VolumeExtent(name: name, path: path, writer: nil, sealed: false, damaged: true), entries)
        }
    }

    /// Every intact record of an extent, by scanning it.
    static func intactEntries(path: String) throws -> [FooterEntry] {
        if let footer = try ExtentReader(path: path).footer() { return footer }
        var entries: [FooterEntry] = []
        _ = try ExtentReader(path: path).scan(onRecord: { record in
            if record.isIntact {
                entries.append(FooterEntry(key: record.key, offset: record.offset, length: record.length, dataCRC: record.dataCRC))
            }
        })
        return entries
    }
}

func nowMicros() -> Int64 {
    Int64((Date().timeIntervalSince1970 * 1_000_000).rounded())
}

import Foundation
import Synchronization
import VigilCore

/// One volume's extent in `extents/`: its writer while open, behind a lock
/// that serialises appends, seal, replacement and retirement; and what the node
/// last knew of the file, to notice it changed under the node.
final class VolumeExtent: @unchecked Sendable {
    let name: ExtentName
    let path: String
    private let lock = NSLock()
    // Guarded by `lock`.
    private var writer: ExtentWriter?
    private(set) var isSealed: Bool
    /// Set when the extent could not be reopened for appends (damaged tail), or
    /// the file at its name is not its extent.
    private(set) var isDamaged: Bool
    /// Set when the node stopped serving from this object (the file was
    /// replaced, moved to trash or reindexed); whoever holds it looks again.
    private(set) var isRetired = false
    /// What the node last knew of the file. Its own lock, so a read never
    /// waits behind an append's fsync to compare.
    private let known: Mutex<KnownFile>

    /// Shares one `fdatasync` among concurrent appends, through `dataSync`
    /// (nil when the extent has no writer).
    let commit: GroupCommit
    let dataSync: ExtentDataSync?
    /// Keys appended and not yet durable, and where their bytes end: a second
    /// write of one waits for the first's flush instead of appending again.
    private let pending = Mutex<[BlockKey: UInt64]>([:])

    init(name: ExtentName, path: String, writer: ExtentWriter?, sealed: Bool, damaged: Bool, known: KnownFile) {
        self.name = name
        self.path = path
        self.writer = writer
        self.isSealed = sealed
        self.isDamaged = damaged
        self.known = Mutex(known)
        commit = GroupCommit(size: writer?.size ?? 0)
        dataSync = writer?.dataSync
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// What an append under the lock did.
    enum Appended: Sendable {
        /// The same key's append is awaiting its flush: ends at `through`.
        case pending(through: UInt64)
        /// Written (not yet durable): ends at `through`.
        case appended(FooterEntry, through: UInt64)
    }

    /// Appends under the lock (the caller holds it via `withLock`); finds the
    /// key already appended and not yet durable, or (nil) already `indexed`.
    /// Refused after a failed flush. The caller acknowledges only once
    /// `commit` says the bytes are durable, and indexes the entry before it
    /// calls `settled`: pending is looked at first, so a key is always seen
    /// in one or the other.
    func appendLocked(key: BlockKey, data: UnsafeRawBufferPointer, unlessIndexed indexed: () -> Bool) throws -> Appended? {
        if let end = pending.withLock({ $0[key] }) { return .pending(through: end) }
        if indexed() { return nil }
        guard let writer, !isSealed, !isRetired else { throw NodeError.sealed(volume: name.volume, damaged: isDamaged) }
        if let failure = commit.failure { throw failure }
        let entry = try writer.append(key: key, data: data, writtenAtMicros: nowMicros())
        try noteOwnWrite(writer)
        pending.withLock { $0[key] = writer.size }
        commit.appended(through: writer.size)
        return .appended(entry, through: writer.size)
    }

    /// Keys whose records are in the file, awaiting their flush: not indexed yet.
    var pendingKeys: [BlockKey] { pending.withLock { Array($0.keys) } }

    /// The key's append is durable and indexed, or failed: no longer pending.
    func settled(_ key: BlockKey) {
        _ = pending.withLock { $0.removeValue(forKey: key) }
    }

    func sealLocked() throws {
        guard !isSealed else { return }
        guard let writer, !isRetired else { throw NodeError.sealed(volume: name.volume, damaged: isDamaged) }
        // After a failed flush the file may lack appends the kernel dropped: no footer over them.
        if let failure = commit.failure { throw failure }
        try writer.seal()
        try noteOwnWrite(writer)
        self.writer = nil
        isSealed = true
    }

    /// Stops serving from this object: closes the writer so no append lands in
    /// a file that is no longer this volume's. The caller holds the lock.
    func retireLocked() {
        writer = nil
        isRetired = true
    }

    /// After the node's own write: the size it wrote and the file's new mtime.
    private func noteOwnWrite(_ writer: ExtentWriter) throws {
        let status = try writer.fileStatus()
        known.withLock {
            $0.size = writer.fileSize
            $0.modifiedNanos = status.modifiedNanos
            $0.growing = !writer.isSealed
        }
    }

    /// Why the file's status (from `status`, called after what the node knows
    /// is read: appends only ever grow that) shows a change the node did not
    /// make, or nil. `strict` compares size and mtime exactly; it is for
    /// callers holding the lock (no append in flight). Without it, an open
    /// extent may have grown (an append in flight) but must not have shrunk.
    func change(strict: Bool, status: () throws -> FileStatus) rethrows -> String? {
        let known = known.withLock { $0 }
        let status = try status()
        guard status.device == known.device, status.inode == known.inode else {
            return "the file at its name is another file (device \(status.device) inode \(status.inode), was \(known.device)/\(known.inode))"
        }
        if status.size < known.size {
            return "the file shrank from \(known.size) to \(status.size) bytes"
        }
        guard strict || !known.growing else { return nil }
        if status.size != known.size {
            return "the file is \(status.size) bytes, the node left it at \(known.size)"
        }
        if status.modifiedNanos != known.modifiedNanos {
            return "the file was rewritten (its modification time changed)"
        }
        return nil
    }

    /// Opens an extent found on disk at start, after an install or restore, or
    /// when its file changed under the node. An extent whose header names
    /// another volume or generation is damaged and serves nothing (its records
    /// are not this volume's); one whose header does not verify, or that was
    /// sealed and lost its footer (`expectSealed`), is damaged and serves its
    /// intact records.
    static func open(name: ExtentName, path: String, expectSealed: Bool = false) throws -> (VolumeExtent, [FooterEntry]) {
        let reader = try ExtentReader(path: path)
        let status = try reader.fileStatus()
        func known(growing: Bool = false, size: UInt64? = nil) -> KnownFile {
            KnownFile(device: status.device, inode: status.inode, size: size ?? status.size, modifiedNanos: status.modifiedNanos, growing: growing)
        }
        let header = try reader.header()
        if let header, header.volume != name.volume || header.generation != name.generation {
            return (VolumeExtent(name: name, path: path, writer: nil, sealed: false, damaged: true, known: known()), [])
        }
        if let footer = try reader.footer() {
            return (VolumeExtent(name: name, path: path, writer: nil, sealed: true, damaged: header == nil, known: known()), footer)
        }
        // A version-2 extent whose header is sealed but whose footer a crash
        // cut short is sealed again by `openForAppend` (expected sealed or not).
        if let header, !expectSealed || header.seal != nil {
            do {
                let writer = try ExtentWriter.openForAppend(path: path)
                let opened = try writer.fileStatus()
                let knownFile = KnownFile(
                    device: opened.device, inode: opened.inode, size: writer.fileSize, modifiedNanos: opened.modifiedNanos,
                    growing: !writer.isSealed)
                return (VolumeExtent(name: name, path: path, writer: writer, sealed: writer.isSealed, damaged: false, known: knownFile), writer.entries)
            } catch is ExtentWriteError {
                // Damaged: serve what is intact, take no more writes; the scrubber reports it.
            }
        }
        let entries = try intactEntries(reader: reader)
        return (VolumeExtent(name: name, path: path, writer: nil, sealed: false, damaged: true, known: known()), entries)
    }

    /// Every intact record of an extent, by scanning it.
    static func intactEntries(path: String) throws -> [FooterEntry] {
        try intactEntries(reader: ExtentReader(path: path))
    }

    static func intactEntries(reader: ExtentReader) throws -> [FooterEntry] {
        if let footer = try reader.footer() { return footer }
        var entries: [FooterEntry] = []
        _ = try reader.scan(onRecord: { record in
            if record.isIntact {
                entries.append(FooterEntry(key: record.key, offset: record.offset, length: record.length, dataCRC: record.dataCRC))
            }
        })
        return entries
    }
}

/// What the node last knew of an extent's file.
struct KnownFile: Sendable {
    var device: UInt64
    var inode: UInt64
    /// The size the node wrote, or found when it opened the file.
    var size: UInt64
    var modifiedNanos: Int64
    /// An open extent the node appends to: a reader may see it larger.
    var growing: Bool
}

func nowMicros() -> Int64 {
    let micros = (Date().timeIntervalSince1970 * 1_000_000).rounded()
    return Int64(exactly: micros) ?? (micros > 0 ? .max : 0)
}

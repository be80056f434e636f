import Foundation
import Logging
import Synchronization
import VigilCore

/// A node's extents on local disk and the in-memory index over them.
public final class NodeStore: Sendable {
    public let config: NodeConfig
    let extentsDirectory: String
    let trashDirectory: String
    let logger: Logger
    let state = Mutex(State())
    /// Test hook: runs before every extent flush; what it throws fails the
    /// flush as a failing disk's `fdatasync` would.
    let flushHook = Mutex<(@Sendable () throws -> Void)?>(nil)

    struct State {
        var index = NodeIndex()
        var volumes: [UInt64: VolumeExtent] = [:]
        var trash: Set<ExtentName> = []
    }

    /// Opens the data directory, creating it if needed, records or checks its
    /// identity (when configured), and indexes every extent.
    public init(config: NodeConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        extentsDirectory = config.dataDirectory + "/extents"
        trashDirectory = config.dataDirectory + "/trash"
        let fm = FileManager.default
        try fm.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        try config.identity?.claim(dataDirectory: config.dataDirectory)
        try fm.createDirectory(atPath: extentsDirectory, withIntermediateDirectories: true)
        try fm.createDirectory(atPath: trashDirectory, withIntermediateDirectories: true)
        try loadFromDisk()
    }

    /// `init` on the blocking executor: indexing the disk at start (listing,
    /// reading every extent's footer) never occupies the cooperative pool.
    public static func open(config: NodeConfig, logger: Logger) async throws -> NodeStore {
        try await blockingIO { try NodeStore(config: config, logger: logger) }
    }

    private func loadFromDisk() throws {
        var loaded = State()
        for file in try FileManager.default.contentsOfDirectory(atPath: extentsDirectory).sorted() {
            guard let name = ExtentName(file) else {
                logger.warning("ignoring a file that is not an extent", metadata: ["vigil.file": "\(file)"])
                continue
            }
            let (extent, entries) = try VolumeExtent.open(name: name, path: "\(extentsDirectory)/\(file)")
            if extent.isDamaged {
                logger.error("extent is damaged; serving its intact records, taking no writes", metadata: ["vigil.extent": "\(name)"])
            }
            loaded.volumes[name.volume] = extent
            loaded.index.addLive(volume: name.volume, entries)
        }
        for file in try FileManager.default.contentsOfDirectory(atPath: trashDirectory).sorted() {
            guard let name = ExtentName(file) else { continue }
            let entries = (try? VolumeExtent.intactEntries(path: "\(trashDirectory)/\(file)")) ?? []
            loaded.trash.insert(name)
            loaded.index.addTrash(name, keys: entries.map(\.key))
        }
        let blocks = loaded.index.live.count
        logger.info("indexed data directory", metadata: [
            "vigil.extents": "\(loaded.volumes.count)", "vigil.trash_extents": "\(loaded.trash.count)", "vigil.blocks": "\(blocks)",
        ])
        state.withLock { $0 = loaded }
    }

    public var blockCount: Int { state.withLock { $0.index.live.count } }

    /// Creates a volume's open extent. Returns false when it already exists.
    public func createVolume(_ volume: UInt64, generation: UInt32) async throws -> Bool {
        if let existing = state.withLock({ $0.volumes[volume] }) {
            guard existing.name.generation == generation else {
                throw NodeError.generationConflict(volume: volume, existing: existing.name.generation)
            }
            return false
        }
        let name = ExtentName(volume: volume, generation: generation)
        let path = "\(extentsDirectory)/\(name)"
        // A configured size no extent header can hold is clamped to what every reader believes.
        let maxBlockSize = UInt32(clamping: min(max(config.maxBlockSize, 0), ExtentFormat.hardMaxBlockSize))
        let extent = try await blockingIO {
            let writer = try ExtentWriter.create(
                path: path, header: ExtentHeader(volume: volume, generation: generation, maxBlockSize: maxBlockSize, createdAtMicros: nowMicros()))
            let status = try writer.fileStatus()
            let known = KnownFile(device: status.device, inode: status.inode, size: writer.fileSize, modifiedNanos: status.modifiedNanos, growing: true)
            return VolumeExtent(name: name, path: path, writer: writer, sealed: false, damaged: false, known: known)
        }
        return state.withLock { s in
            if s.volumes[volume] != nil { return false }
            s.volumes[volume] = extent
            return true
        }
    }

    /// Runs `body` on the volume's current extent with its lock held; when the
    /// extent was retired meanwhile (replaced, trashed, reindexed), looks again.
    func withCurrentExtent<T: Sendable>(_ volume: UInt64, _ body: @escaping @Sendable (VolumeExtent) throws -> T) async throws -> T {
        for _ in 0..<8 {
            guard let extent = state.withLock({ $0.volumes[volume] }) else { throw NodeError.unknownVolume(volume) }
            let result: T? = try await blockingIO {
                try extent.withLock { extent.isRetired ? nil : try body(extent) }
            }
            if let result { return result }
        }
        throw NodeError.extentChanging(volume: volume)
    }

    /// Appends a block after checking its key; returns its offset, or nil when
    /// the volume already holds it. Returns only once the block is durable:
    /// concurrent writes to the volume share one `fdatasync` (`GroupCommit`),
    /// and a write whose flush failed is never acknowledged nor indexed.
    public func put(volume: UInt64, key: BlockKey, data: [UInt8]) async throws -> UInt64? {
        let actual = try await blockingIO { BlockKey.of(data) }
        guard actual == key else { throw NodeError.keyMismatch(expected: key, actual: actual) }
        let placement = PlacementKey(key: key, volume: volume)
        let appended: (VolumeExtent, VolumeExtent.Appended)? = try await withCurrentExtent(volume) { [self] extent in
            // Pending before indexed: a durable append is indexed before it stops pending.
            let append = try data.withUnsafeBytes { try extent.appendLocked(key: key, data: $0, unlessIndexed: { [self] in
                state.withLock { $0.index.live[placement] } != nil
            }) }
            return append.map { (extent, $0) }
        }
        guard let (extent, append) = appended else { return nil }
        switch append {
        case .pending(let end):
            try await waitDurable(extent, through: end)
            return nil
        case .appended(let entry, let end):
            do {
                try await waitDurable(extent, through: end)
            } catch {
                extent.settled(key)
                throw error
            }
            let current = state.withLock { s in
                guard s.volumes[volume] === extent else { return false }
                s.index.addLive(volume: volume, [entry])
                return true
            }
            extent.settled(key)
            // Replaced, trashed or reindexed meanwhile: what the volume holds now is the disk's answer.
            guard current else { throw NodeError.extentChanging(volume: volume) }
            return entry.offset
        }
    }

    /// Waits until `extent`'s bytes up to `end` are on disk (at once with fsync off).
    private func waitDurable(_ extent: VolumeExtent, through end: UInt64) async throws {
        guard config.fsync, let dataSync = extent.dataSync else { return }
        try await extent.commit.durable(through: end) { [self] in
            try flushHook.withLock { $0 }?()
            try dataSync.sync()
        }
    }

    /// Reads a block, verified by the record's header (its key, length and
    /// CRCs) at the offset the index holds; never returns bad bytes. The file
    /// read is first compared with what the node knew of it: one replaced,
    /// truncated or rewritten under the node is reindexed and the read is
    /// answered from the file as it now is.
    public func get(volume: UInt64, key: BlockKey) async throws -> [UInt8] {
        enum Outcome: Sendable { case data([UInt8]), changed(String) }
        for _ in 0..<3 {
            let found = state.withLock { s -> (VolumeExtent, Placement)? in
                guard let extent = s.volumes[volume], let placement = s.index.live[PlacementKey(key: key, volume: volume)] else { return nil }
                return (extent, placement)
            }
            guard let (extent, placement) = found else { throw NodeError.notFound(key: key, volume: volume) }
            let outcome = try await blockingIO { () throws -> Outcome in
                let reader: ExtentReader
                do {
                    reader = try ExtentReader(path: extent.path)
                } catch let error as FileIOError where error.isNotFound {
                    return .changed("the file is gone")
                }
                if let change = try extent.change(strict: false, status: reader.fileStatus) { return .changed(change) }
                do {
                    return .data(try reader.readBlock(
                        key: key, at: placement.offset, expectedLength: placement.length, expectedCRC: placement.dataCRC))
                } catch let error as ExtentReadError {
                    throw NodeError.corruptRecord(error.description)
                }
            }
            switch outcome {
            case .data(let data): return data
            case .changed(let why): try await reindex(extent, because: why)
            }
        }
        throw NodeError.extentChanging(volume: volume)
    }

    public func seal(volume: UInt64) async throws {
        try await withCurrentExtent(volume) { extent in try extent.sealLocked() }
    }

    /// Presence of each (key, volume) pair, from memory only.
    public func check(_ pairs: [(BlockKey, UInt64)]) -> [Presence] {
        check(keys: pairs.map(\.0), volumes: pairs.map(\.1)).map { Presence(rawValue: $0)! }
    }

    /// Presence for a raw request body of 40-byte entries (key, volume) or, with
    /// `records`, 48-byte entries (key, volume, length, CRC) compared with the
    /// record held; nil when malformed.
    public func check(body: UnsafeRawBufferPointer, records: Bool = false) -> [UInt8]? {
        // The route already caps the body at `PresenceBatch.maxEntries` entries.
        guard let batch = PresenceBatch.decode(body, records: records) else { return nil }
        guard let lengths = batch.lengths, let dataCRCs = batch.dataCRCs else {
            return check(keys: batch.keys, volumes: batch.volumes)
        }
        return check(keys: batch.keys, volumes: batch.volumes, expected: ExpectedRecords(lengths: lengths, dataCRCs: dataCRCs))
    }

    /// A batch in key order (the metadata scanner's) is answered a volume at a
    /// time from sorted keys; any other order, key by key from the hash table.
    func check(keys: [BlockKey], volumes: [UInt64], expected: ExpectedRecords? = nil) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: keys.count)
        guard zip(keys, keys.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            return state.withLock { s in
                for i in keys.indices {
                    let expect = expected.map { (length: $0.lengths[i], dataCRC: $0.dataCRCs[i]) }
                    out[i] = s.index.presence(key: keys[i], volume: volumes[i], expected: expect).rawValue
                }
                return out
            }
        }
        var byVolume: [UInt64: [Int]] = [:]
        for (i, volume) in volumes.enumerated() { byVolume[volume, default: []].append(i) }
        return state.withLock { s in
            for (volume, indices) in byVolume {
                s.index.presence(ascending: keys, volume: volume, indices: indices, expected: expected, into: &out)
            }
            return out
        }
    }
}

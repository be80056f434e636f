import Foundation
import VigilCore

/// An extent file that changed under the node, and what the node did about it.
public struct ExtentDiskChange: Sendable, CustomStringConvertible {
    public enum Outcome: String, Sendable {
        /// The file at the name is a valid extent for it: indexed as it now is.
        case reindexed
        /// The file is not this name's extent, or is damaged: it serves only its
        /// intact records (none when its header names another volume or generation)
        /// and takes no writes.
        case damaged
        /// The file is gone or unreadable: nothing of it is served.
        case dropped
    }

    public var name: ExtentName
    public var location: NodeStore.Location
    public var reason: String
    public var outcome: Outcome

    public var description: String { "\(location.rawValue)/\(name): \(reason); \(outcome.rawValue)" }
}

extension NodeStore {
    /// Compares every indexed extent with the file now at its name — device
    /// and inode, size and modification time against what the node wrote or
    /// found, and the header against the name — and reindexes each one that
    /// changed under the node (replaced, renamed over, truncated, rewritten,
    /// deleted), so presence answers follow the disk, not stale memory. Trash
    /// extents whose files vanished are forgotten. Blocking: `DiskWatch` runs
    /// it off the cooperative pool.
    @discardableResult
    public func checkExtentsOnDisk() -> [ExtentDiskChange] {
        let (volumes, trash) = state.withLock { s in (Array(s.volumes.values), Array(s.trash)) }
        var changes: [ExtentDiskChange] = []
        for extent in volumes {
            guard let reason = diskChange(of: extent), let change = reindexNow(extent, because: reason) else { continue }
            changes.append(change)
        }
        for name in trash where !FileManager.default.fileExists(atPath: path(of: name, in: .trash)) {
            forgetTrash(name)
            changes.append(ExtentDiskChange(name: name, location: .trash, reason: "the file is gone", outcome: .dropped))
        }
        return changes
    }

    /// Drops from the index any extent whose file has gone or changed (see
    /// `checkExtentsOnDisk`); returns the names concerned.
    @discardableResult
    public func forgetVanishedExtents() -> [ExtentName] {
        checkExtentsOnDisk().map(\.name)
    }

    /// Why the file at `extent`'s name is not what the node knows, or nil.
    func diskChange(of extent: VolumeExtent) -> String? {
        // Under the lock no append is in flight: size and mtime compare exactly.
        let change = extent.withLock { () -> String? in
            guard !extent.isRetired else { return nil }
            do {
                return try extent.change(strict: true) { try FileStatus.of(path: extent.path) }
            } catch let error as FileIOError where error.isNotFound {
                return "the file is gone"
            } catch {
                return "the file cannot be examined: \(error)"
            }
        }
        if let change { return change }
        // A damaged extent is already served for what it is; only a new file at its name changes that.
        guard !extent.isDamaged else { return nil }
        do {
            let reader = try ExtentReader(path: extent.path)
            if let change = try extent.change(strict: false, status: reader.fileStatus) { return change }
            guard let header = try reader.header() else { return "its extent header no longer verifies" }
            guard header.volume == extent.name.volume, header.generation == extent.name.generation else {
                return "its header names volume \(header.volume) generation \(header.generation)"
            }
        } catch let error as FileIOError where error.isNotFound {
            return "the file is gone"
        } catch {
            return "the file cannot be read: \(error)"
        }
        return nil
    }

    /// Reindexes `extent` after a read found its file changed; logs what was done.
    func reindex(_ extent: VolumeExtent, because reason: String) async throws {
        let change = try await blockingIO { [self] in reindexNow(extent, because: reason) }
        if let change {
            logger.error("extent changed on disk under the node; reindexed from the file as it is", metadata: [
                "vigil.extent": "\(change.name)", "vigil.reason": "\(change.reason)", "vigil.outcome": "\(change.outcome.rawValue)",
            ])
        }
    }

    /// Retires `extent` (its writer closed: nothing more is appended to a file
    /// that is not this volume's), reopens the file at its name, and swaps its
    /// index entries for what that file holds; nil when someone else already
    /// retired it. Blocking.
    func reindexNow(_ extent: VolumeExtent, because reason: String) -> ExtentDiskChange? {
        extent.withLock { () -> ExtentDiskChange? in
            guard !extent.isRetired else { return nil }
            let wasSealed = extent.isSealed
            extent.retireLocked()
            let reopened = try? VolumeExtent.open(name: extent.name, path: extent.path, expectSealed: wasSealed)
            let volume = extent.name.volume
            let current = state.withLock { s -> Bool in
                guard s.volumes[volume] === extent else { return false }
                _ = s.index.removeLive(volume: volume)
                if let (replacement, entries) = reopened {
                    s.volumes[volume] = replacement
                    s.index.addLive(volume: volume, entries)
                } else {
                    s.volumes.removeValue(forKey: volume)
                }
                return true
            }
            guard current else { return nil }
            let outcome: ExtentDiskChange.Outcome = reopened.map { $0.0.isDamaged ? .damaged : .reindexed } ?? .dropped
            return ExtentDiskChange(name: extent.name, location: .extents, reason: reason, outcome: outcome)
        }
    }
}

import Foundation
import VigilCore

extension NodeStore {
    public enum Location: String, Sendable {
        case extents, trash
    }

    public func path(of name: ExtentName, in location: Location) -> String {
        "\(location == .extents ? extentsDirectory : trashDirectory)/\(name)"
    }

    /// Every extent in `extents/` and `trash/`.
    public func listExtents() async throws -> [ExtentListing] {
        let (sealedVolumes, trashNames) = stateSnapshot()
        let extentsDirectory = extentsDirectory
        let trashDirectory = trashDirectory
        return try await blockingIO {
            var out: [ExtentListing] = []
            for (location, directory) in [("extents", extentsDirectory), ("trash", trashDirectory)] {
                for file in try FileManager.default.contentsOfDirectory(atPath: directory).sorted() {
                    guard let name = ExtentName(file) else { continue }
                    let attributes = try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(file)")
                    let sealed = location == "trash" ? trashNames.contains(name) && (try? ExtentReader(path: "\(directory)/\(file)").footer()) != nil
                        : sealedVolumes[name.volume] ?? false
                    out.append(ExtentListing(
                        name: file, volume: name.volume, generation: name.generation, location: location,
                        size: (attributes?[.size] as? NSNumber)?.uint64Value ?? 0, sealed: sealed,
                        mtime: (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0))
                }
            }
            return out
        }
    }

    /// Verifies an extent written aside at `stagedPath`, then moves it into
    /// `extents/` in place of the volume's current extent, and reindexes.
    public func install(_ name: ExtentName, stagedPath: String) async throws {
        let target = path(of: name, in: .extents)
        let (report, opened) = try await blockingIO { () throws -> (ExtentScanReport, (VolumeExtent, [FooterEntry])?) in
            let report = try ExtentReader(path: stagedPath).scan()
            guard report.isClean, report.header?.volume == name.volume, report.header?.generation == name.generation else {
                return (report, nil)
            }
            let fd = open(stagedPath, O_RDONLY)
            if fd >= 0 { fsync(fd); close(fd) }
            guard rename(stagedPath, target) == 0 else { throw FileIOError(path: target, operation: "rename", errno: errno) }
            return (report, try VolumeExtent.open(name: name, path: target))
        }
        guard let (extent, entries) = opened else {
            try? FileManager.default.removeItem(atPath: stagedPath)
            let problems = report.problems.prefix(5).map { $0.description }.joined(separator: "; ")
            throw NodeError.badExtent(problems.isEmpty ? "header names another volume or generation" : problems)
        }
        let old = replaceVolume(name.volume, with: extent, entries: entries)
        if let old, old.name != name { try? FileManager.default.removeItem(atPath: old.path) }
    }

    /// Moves a volume's extent into `trash/`.
    public func trash(_ name: ExtentName) async throws {
        let source = path(of: name, in: .extents)
        let target = path(of: name, in: .trash)
        guard FileManager.default.fileExists(atPath: source) else { throw NodeError.noSuchExtent(name.description) }
        try await blockingIO {
            guard rename(source, target) == 0 else { throw FileIOError(path: source, operation: "rename", errno: errno) }
        }
        moveToTrash(name)
    }

    /// Unlinks a trash extent.
    public func unlink(_ name: ExtentName) async throws {
        let target = path(of: name, in: .trash)
        guard FileManager.default.fileExists(atPath: target) else { throw NodeError.noSuchExtent(name.description) }
        try await blockingIO {
            guard Foundation.unlink(target) == 0 else { throw FileIOError(path: target, operation: "unlink", errno: errno) }
        }
        forgetTrash(name)
    }
}

extension NodeStore {
    func stateSnapshot() -> (sealed: [UInt64: Bool], trash: Set<ExtentName>) {
        state.withLock { s in (s.volumes.mapValues(\.isSealed), s.trash) }
    }

    func replaceVolume(_ volume: UInt64, with extent: VolumeExtent, entries: [FooterEntry]) -> VolumeExtent? {
        state.withLock { s in
            let old = s.volumes[volume]
            _ = s.index.removeLive(volume: volume)
            s.index.addLive(volume: volume, entries)
            s.volumes[volume] = extent
            return old
        }
    }

    func moveToTrash(_ name: ExtentName) {
        state.withLock { s in
            guard s.volumes[name.volume]?.name == name else { return }
            s.volumes.removeValue(forKey: name.volume)
            let keys = s.index.removeLive(volume: name.volume)
            s.index.addTrash(name, keys: keys)
            s.trash.insert(name)
        }
    }

    func forgetTrash(_ name: ExtentName) {
        state.withLock { s in
            s.index.removeTrash(name)
            s.trash.remove(name)
        }
    }
}

extension NodeStore {
    /// Drops from the index any extent whose file has gone (deleted by hand, a
    /// lost disk): the node must never answer "present" for data it no longer has.
    /// Returns the names dropped.
    @discardableResult
    public func forgetVanishedExtents() -> [ExtentName] {
        let (volumes, trash) = state.withLock { s in (Array(s.volumes.values), Array(s.trash)) }
        var gone: [ExtentName] = []
        for extent in volumes where !FileManager.default.fileExists(atPath: extent.path) {
            let dropped = state.withLock { s -> Bool in
                guard s.volumes[extent.name.volume] === extent else { return false }
                s.volumes.removeValue(forKey: extent.name.volume)
                _ = s.index.removeLive(volume: extent.name.volume)
                return true
            }
            if dropped { gone.append(extent.name) }
        }
        for name in trash where !FileManager.default.fileExists(atPath: path(of: name, in: .trash)) {
            forgetTrash(name)
            gone.append(name)
        }
        return gone
    }
}

extension NodeStore {
    /// Moves a trash extent back into `extents/` and serves it again.
    public func restore(_ name: ExtentName) async throws {
        let source = path(of: name, in: .trash)
        let target = path(of: name, in: .extents)
        guard FileManager.default.fileExists(atPath: source) else { throw NodeError.noSuchExtent(name.description) }
        if let existing = state.withLock({ $0.volumes[name.volume] }) {
            throw NodeError.generationConflict(volume: name.volume, existing: existing.name.generation)
        }
        let (extent, entries) = try await blockingIO { () throws -> (VolumeExtent, [FooterEntry]) in
            guard rename(source, target) == 0 else { throw FileIOError(path: source, operation: "rename", errno: errno) }
            return try VolumeExtent.open(name: name, path: target)
        }
        forgetTrash(name)
        _ = replaceVolume(name.volume, with: extent, entries: entries)
    }
}

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

    /// Verifies an extent written aside at `stagedPath` (in `extents/`), syncs
    /// it, then links it into place under its name and serves it. An install
    /// never replaces or deletes anything: while the volume has an extent in
    /// `extents/` (any generation) it is refused (`409 extent_live`), and the
    /// name is created without replacing (link, which fails when the name is
    /// taken, `409 already_exists`), so a racing create cannot be replaced
    /// either. The older extent leaves by a recorded trash instruction first.
    public func install(_ name: ExtentName, stagedPath: String) async throws {
        let target = path(of: name, in: .extents)
        let extentsDirectory = extentsDirectory
        let rejected = try await blockingIO { [self] () throws -> ExtentScanReport? in
            do {
                let report = try ExtentReader(path: stagedPath).scan()
                guard report.isClean, report.header?.volume == name.volume, report.header?.generation == name.generation else {
                    Foundation.unlink(stagedPath)
                    return report
                }
                try syncFile(at: stagedPath)
                try lockingCurrent(name.volume) { current in
                    if let current { throw NodeError.extentLive(volume: name.volume, existing: current.name.description) }
                    // An extent of the volume the node does not serve (one it could not open) counts too.
                    if let other = try Self.extentFile(of: name.volume, in: extentsDirectory) {
                        throw NodeError.extentLive(volume: name.volume, existing: other.description)
                    }
                    do {
                        try moveWithoutReplacing(from: stagedPath, to: target)
                    } catch let error as FileIOError where error.isAlreadyExists {
                        throw NodeError.alreadyExists("extents/\(name)")
                    }
                    let (extent, entries) = try VolumeExtent.open(name: name, path: target)
                    state.withLock { s in
                        _ = s.index.removeLive(volume: name.volume)
                        s.index.addLive(volume: name.volume, entries)
                        s.volumes[name.volume] = extent
                    }
                }
                return nil
            } catch {
                Foundation.unlink(stagedPath)
                throw error
            }
        }
        if let report = rejected {
            let problems = report.problems.prefix(5).map { $0.description }.joined(separator: "; ")
            throw NodeError.badExtent(problems.isEmpty ? "header names another volume or generation" : problems)
        }
    }

    /// The name of a file in `directory` holding an extent of `volume`, if any.
    static func extentFile(of volume: UInt64, in directory: String) throws -> ExtentName? {
        try FileManager.default.contentsOfDirectory(atPath: directory).lazy.compactMap(ExtentName.init).first { $0.volume == volume }
    }

    /// Moves an extent into `trash/`, never replacing a file already there
    /// (`409 already_exists`); both directories are synced.
    public func trash(_ name: ExtentName) async throws {
        let source = path(of: name, in: .extents)
        let target = path(of: name, in: .trash)
        try await blockingIO { [self] in
            try lockingCurrent(name.volume) { current in
                guard FileManager.default.fileExists(atPath: source) else { throw NodeError.noSuchExtent(name.description) }
                do {
                    try moveWithoutReplacing(from: source, to: target)
                } catch let error as FileIOError where error.isAlreadyExists {
                    throw NodeError.alreadyExists("trash/\(name)")
                }
                if let current, current.name == name {
                    current.retireLocked()
                    // Records still awaiting their flush are in the file too: trash holds what the file holds.
                    let pending = current.pendingKeys
                    state.withLock { s in
                        s.volumes.removeValue(forKey: name.volume)
                        let keys = s.index.removeLive(volume: name.volume) + pending
                        if s.trash.insert(name).inserted { s.index.addTrash(name, keys: keys) }
                    }
                } else {
                    // Not the extent the node serves (an older generation): index it in trash as a restart would.
                    let keys = ((try? VolumeExtent.intactEntries(path: target)) ?? []).map(\.key)
                    state.withLock { s in
                        if s.trash.insert(name).inserted { s.index.addTrash(name, keys: keys) }
                    }
                }
            }
        }
    }

    /// Unlinks a trash extent and syncs `trash/`.
    public func unlink(_ name: ExtentName) async throws {
        let target = path(of: name, in: .trash)
        try await blockingIO {
            do {
                try unlinkDurably(target)
            } catch let error as FileIOError where error.isNotFound {
                throw NodeError.noSuchExtent(name.description)
            }
        }
        forgetTrash(name)
    }

    /// Moves a trash extent back into `extents/` and serves it again; refuses
    /// when the volume has an extent (`409`) or a file has its name in
    /// `extents/` (`409 already_exists`).
    public func restore(_ name: ExtentName) async throws {
        let source = path(of: name, in: .trash)
        let target = path(of: name, in: .extents)
        try await blockingIO { [self] in
            try lockingCurrent(name.volume) { current in
                if let current { throw NodeError.generationConflict(volume: name.volume, existing: current.name.generation) }
                guard FileManager.default.fileExists(atPath: source) else { throw NodeError.noSuchExtent(name.description) }
                do {
                    try moveWithoutReplacing(from: source, to: target)
                } catch let error as FileIOError where error.isAlreadyExists {
                    throw NodeError.alreadyExists("extents/\(name)")
                }
                let (extent, entries) = try VolumeExtent.open(name: name, path: target)
                state.withLock { s in
                    s.index.removeTrash(name)
                    s.trash.remove(name)
                    _ = s.index.removeLive(volume: name.volume)
                    s.index.addLive(volume: name.volume, entries)
                    s.volumes[name.volume] = extent
                }
            }
        }
    }
}

extension NodeStore {
    func stateSnapshot() -> (sealed: [UInt64: Bool], trash: Set<ExtentName>) {
        state.withLock { s in (s.volumes.mapValues(\.isSealed), s.trash) }
    }

    /// Runs `body` holding the lock of the volume's current extent (nil when
    /// it has none), which `body` then sees unretired: no append, seal or
    /// reindex of it runs meanwhile. Blocking; call it off the cooperative pool.
    func lockingCurrent<T>(_ volume: UInt64, _ body: (VolumeExtent?) throws -> T) throws -> T {
        for _ in 0..<8 {
            guard let current = state.withLock({ $0.volumes[volume] }) else { return try body(nil) }
            var result: T?
            var ran = false
            try current.withLock {
                guard !current.isRetired else { return }
                ran = true
                result = try body(current)
            }
            if ran, let result { return result }
        }
        throw NodeError.extentChanging(volume: volume)
    }

    func forgetTrash(_ name: ExtentName) {
        state.withLock { s in
            s.index.removeTrash(name)
            s.trash.remove(name)
        }
    }
}

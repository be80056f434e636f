import VigilCore

struct PlacementKey: Hashable {
    var key: BlockKey
    var volume: UInt64
}

struct Placement {
    var offset: UInt64
    var length: UInt32
}

/// The node's in-memory index: where each block of each volume is, in
/// `extents/`, and which blocks sit in `trash/`. Never touches the disk.
struct NodeIndex {
    var live: [PlacementKey: Placement] = [:]
    var trash: [PlacementKey: Int] = [:]
    /// Keys per live extent, to drop them when it is replaced or trashed, and
    /// to answer presence checks.
    var liveKeys: [UInt64: [BlockKey]] = [:]
    /// Volumes whose `liveKeys` are in key order (sorted on a presence check,
    /// unsorted again by a write).
    var sortedVolumes: Set<UInt64> = []
    var trashKeys: [ExtentName: [BlockKey]] = [:]

    /// Presence of one block, from the `live` table.
    func presence(key: BlockKey, volume: UInt64) -> Presence {
        let at = PlacementKey(key: key, volume: volume)
        if live.index(forKey: at) != nil { return .present }
        return trash.index(forKey: at) != nil ? .trashOnly : .absent
    }

    /// Presence of a batch of blocks of one volume whose keys ascend (a slice
    /// of the metadata scanner's batch, which comes in key order), written to
    /// `out` at `indices`. Walks the volume's sorted keys forward once instead
    /// of touching random memory for every key — what a hash lookup costs once
    /// the index outgrows the CPU's caches.
    mutating func presence(ascending keys: [BlockKey], volume: UInt64, indices: [Int], into out: inout [UInt8]) {
        if !sortedVolumes.contains(volume), liveKeys[volume] != nil {
            liveKeys[volume]?.sort()
            sortedVolumes.insert(volume)
        }
        let held = liveKeys[volume] ?? []
        held.withUnsafeBufferPointer { held in
            var low = 0
            for i in indices {
                // Gallop forward from the last answer (the keys ascend), then bisect.
                let key = keys[i]
                var probe = low
                var step = 1
                while probe < held.count && held[probe] < key {
                    low = probe + 1
                    probe = low + step
                    step <<= 1
                }
                var high = min(probe, held.count)
                while low < high {
                    let mid = (low + high) / 2
                    if held[mid] < key { low = mid + 1 } else { high = mid }
                }
                if low < held.count && held[low] == key {
                    out[i] = Presence.present.rawValue
                } else {
                    out[i] = (trash.index(forKey: PlacementKey(key: key, volume: volume)) != nil ? Presence.trashOnly : .absent).rawValue
                }
            }
        }
    }

    mutating func addLive(volume: UInt64, _ entries: [FooterEntry]) {
        for entry in entries {
            live[PlacementKey(key: entry.key, volume: volume)] = Placement(offset: entry.offset, length: entry.length)
        }
        liveKeys[volume, default: []].append(contentsOf: entries.map(\.key))
        sortedVolumes.remove(volume)
    }

    mutating func removeLive(volume: UInt64) -> [BlockKey] {
        sortedVolumes.remove(volume)
        let keys = liveKeys.removeValue(forKey: volume) ?? []
        for key in keys { live.removeValue(forKey: PlacementKey(key: key, volume: volume)) }
        return keys
    }

    mutating func addTrash(_ name: ExtentName, keys: [BlockKey]) {
        for key in keys { trash[PlacementKey(key: key, volume: name.volume), default: 0] += 1 }
        trashKeys[name, default: []].append(contentsOf: keys)
    }

    mutating func removeTrash(_ name: ExtentName) {
        for key in trashKeys.removeValue(forKey: name) ?? [] {
            let at = PlacementKey(key: key, volume: name.volume)
            if let n = trash[at], n > 1 { trash[at] = n - 1 } else { trash.removeValue(forKey: at) }
        }
    }
}

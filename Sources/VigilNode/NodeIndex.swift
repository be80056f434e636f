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
    /// Keys per live extent, to drop them when it is replaced or trashed.
    var liveKeys: [UInt64: [BlockKey]] = [:]
    var trashKeys: [ExtentName: [BlockKey]] = [:]

    func presence(key: BlockKey, volume: UInt64) -> Presence {
        let at = PlacementKey(key: key, volume: volume)
        if live[at] != nil { return .present }
        return trash[at] != nil ? .trashOnly : .absent
    }

    mutating func addLive(volume: UInt64, _ entries: [FooterEntry]) {
        for entry in entries {
            live[PlacementKey(key: entry.key, volume: volume)] = Placement(offset: entry.offset, length: entry.length)
        }
        liveKeys[volume, default: []].append(contentsOf: entries.map(\.key))
    }

    mutating func removeLive(volume: UInt64) -> [BlockKey] {
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

import VigilCore

struct PlacementKey: Hashable {
    var key: BlockKey
    var volume: UInt64
}

struct Placement {
    var offset: UInt64
    var length: UInt32
    var dataCRC: UInt32
}

/// What a presence check with expectations compares: a record's key, length and CRC.
struct HeldRecord: Comparable {
    var key: BlockKey
    var length: UInt32
    var dataCRC: UInt32

    static func < (a: HeldRecord, b: HeldRecord) -> Bool { a.key < b.key }
    static func == (a: HeldRecord, b: HeldRecord) -> Bool { a.key == b.key }
}

/// The index's length and CRC of each key asked about, to compare with the record held.
struct ExpectedRecords {
    var lengths: [UInt32]
    var dataCRCs: [UInt32]
}

/// The node's in-memory index: where each block of each volume is, in
/// `extents/`, and which blocks sit in `trash/`. Never touches the disk.
struct NodeIndex {
    var live: [PlacementKey: Placement] = [:]
    var trash: [PlacementKey: Int] = [:]
    /// Records per live extent, to drop them when it is replaced or trashed, and
    /// to answer presence checks.
    var liveKeys: [UInt64: [HeldRecord]] = [:]
    /// Volumes whose `liveKeys` are in key order (sorted on a presence check,
    /// unsorted again by a write).
    var sortedVolumes: Set<UInt64> = []
    var trashKeys: [ExtentName: [BlockKey]] = [:]

    /// Presence of one block, from the `live` table; `.mismatch` when the record
    /// held has another length or CRC than `expected`.
    func presence(key: BlockKey, volume: UInt64, expected: (length: UInt32, dataCRC: UInt32)? = nil) -> Presence {
        let at = PlacementKey(key: key, volume: volume)
        if let placement = live[at] {
            if let expected, expected.length != placement.length || expected.dataCRC != placement.dataCRC { return .mismatch }
            return .present
        }
        return trash.index(forKey: at) != nil ? .trashOnly : .absent
    }

    /// Presence of a batch of blocks of one volume whose keys ascend (a slice
    /// of the metadata scanner's batch, which comes in key order), written to
    /// `out` at `indices`. Walks the volume's sorted keys forward once instead
    /// of touching random memory for every key — what a hash lookup costs once
    /// the index outgrows the CPU's caches.
    mutating func presence(
        ascending keys: [BlockKey], volume: UInt64, indices: [Int], expected: ExpectedRecords? = nil, into out: inout [UInt8]
    ) {
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
                while probe < held.count && held[probe].key < key {
                    low = probe + 1
                    probe = low + step
                    step <<= 1
                }
                var high = min(probe, held.count)
                while low < high {
                    let mid = (low + high) / 2
                    if held[mid].key < key { low = mid + 1 } else { high = mid }
                }
                if low < held.count && held[low].key == key {
                    let record = held[low]
                    let agrees = expected.map { record.length == $0.lengths[i] && record.dataCRC == $0.dataCRCs[i] } ?? true
                    out[i] = (agrees ? Presence.present : .mismatch).rawValue
                } else {
                    out[i] = (trash.index(forKey: PlacementKey(key: key, volume: volume)) != nil ? Presence.trashOnly : .absent).rawValue
                }
            }
        }
    }

    mutating func addLive(volume: UInt64, _ entries: [FooterEntry]) {
        for entry in entries {
            live[PlacementKey(key: entry.key, volume: volume)] = Placement(offset: entry.offset, length: entry.length, dataCRC: entry.dataCRC)
        }
        liveKeys[volume, default: []].append(contentsOf: entries.map { HeldRecord(key: $0.key, length: $0.length, dataCRC: $0.dataCRC) })
        sortedVolumes.remove(volume)
    }

    mutating func removeLive(volume: UInt64) -> [BlockKey] {
        sortedVolumes.remove(volume)
        let keys = (liveKeys.removeValue(forKey: volume) ?? []).map(\.key)
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

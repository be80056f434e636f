/// A presence-check request body (`Schemas/node-api.md`), decoded without
/// trusting it: entries of 40 bytes (key, volume) or, with records, 48 bytes
/// (key, volume, length, CRC32C). Pure, so it can be fuzzed.
public struct PresenceBatch: Sendable, Equatable {
    public var keys: [BlockKey]
    public var volumes: [UInt64]
    /// With records: the length and CRC32C the asker's index holds for each entry.
    public var lengths: [UInt32]?
    public var dataCRCs: [UInt32]?

    /// A batch of (key, volume) entries, or with `lengths` and `dataCRCs` (one per key) a batch with records.
    public init(keys: [BlockKey], volumes: [UInt64], lengths: [UInt32]? = nil, dataCRCs: [UInt32]? = nil) {
        self.keys = keys
        self.volumes = volumes
        self.lengths = lengths
        self.dataCRCs = dataCRCs
    }

    /// The most entries one request may carry.
    public static let maxEntries = 262_144

    public static func entrySize(records: Bool) -> Int { records ? 48 : 40 }

    /// Nil when the body is not a whole number of entries or holds too many.
    public static func decode(_ body: UnsafeRawBufferPointer, records: Bool) -> PresenceBatch? {
        let size = entrySize(records: records)
        guard body.count % size == 0, body.count / size <= maxEntries else { return nil }
        let n = body.count / size
        var batch = PresenceBatch(keys: [], volumes: [], lengths: records ? [] : nil, dataCRCs: records ? [] : nil)
        batch.keys.reserveCapacity(n)
        batch.volumes.reserveCapacity(n)
        for i in 0..<n {
            let base = i * size
            batch.keys.append(BlockKey(bytes: UnsafeRawBufferPointer(rebasing: body[base..<(base + 32)]))!)
            batch.volumes.append(UInt64(littleEndian: body.loadUnaligned(fromByteOffset: base + 32, as: UInt64.self)))
            if records {
                batch.lengths!.append(UInt32(littleEndian: body.loadUnaligned(fromByteOffset: base + 40, as: UInt32.self)))
                batch.dataCRCs!.append(UInt32(littleEndian: body.loadUnaligned(fromByteOffset: base + 44, as: UInt32.self)))
            }
        }
        return batch
    }

    /// The request body for this batch.
    public func encode() -> [UInt8] {
        let records = lengths != nil
        let size = Self.entrySize(records: records)
        var out = [UInt8](repeating: 0, count: keys.count * size)
        out.withUnsafeMutableBytes { raw in
            for i in keys.indices {
                keys[i].write(to: raw.baseAddress! + i * size)
                raw.storeBytes(of: volumes[i].littleEndian, toByteOffset: i * size + 32, as: UInt64.self)
                if let lengths, let dataCRCs {
                    raw.storeBytes(of: lengths[i].littleEndian, toByteOffset: i * size + 40, as: UInt32.self)
                    raw.storeBytes(of: dataCRCs[i].littleEndian, toByteOffset: i * size + 44, as: UInt32.self)
                }
            }
        }
        return out
    }
}

import Foundation
import Logging
import VigilCore
import VigilNode

/// A `NodeStore` on a fresh temporary data directory, removed by `cleanUp()`.
struct TempNode {
    let directory: String
    var store: NodeStore

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("node-\(UUID().uuidString)").path
        store = try NodeStore(config: NodeConfig(dataDirectory: directory, tokens: TokenSet(reader: "r")), logger: Logger(label: "test"))
    }

    /// A new store over the same directory, as after a restart.
    mutating func restart() throws {
        store = try NodeStore(config: NodeConfig(dataDirectory: directory, tokens: TokenSet(reader: "r")), logger: Logger(label: "test"))
    }

    func path(_ name: ExtentName, in location: NodeStore.Location = .extents) -> String {
        store.path(of: name, in: location)
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }

    /// Creates `volume` and writes `count` distinct blocks to it; seals it when asked.
    @discardableResult
    func fill(volume: UInt64, count: Int, seal: Bool, tag: String = "") async throws -> [(key: BlockKey, data: [UInt8])] {
        _ = try await store.createVolume(volume, generation: 1)
        var blocks: [(key: BlockKey, data: [UInt8])] = []
        for i in 0..<count {
            let data = Array("volume \(volume) block \(i) \(tag) ".utf8) + [UInt8](repeating: UInt8(i % 251), count: 200 + i * 7)
            _ = try await store.put(volume: volume, key: .of(data), data: data)
            blocks.append((.of(data), data))
        }
        if seal { try await store.seal(volume: volume) }
        return blocks
    }

    func presence(_ blocks: [(key: BlockKey, data: [UInt8])], volume: UInt64) -> [Presence] {
        store.check(blocks.map { ($0.key, volume) })
    }
}

/// The `NodeError` `body` throws, or nil when it throws another error or none.
func nodeError(_ body: () async throws -> Void) async -> NodeError? {
    do {
        try await body()
        return nil
    } catch let error as NodeError {
        return error
    } catch {
        return nil
    }
}

func bytes(of path: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: path)))
}

/// Rewrites a file in place (same inode), as `cp` over an existing file does.
func overwriteInPlace(_ path: String, with bytes: [UInt8]) throws {
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.truncate(atOffset: 0)
    try handle.write(contentsOf: Data(bytes))
}

func storeLE<T: FixedWidthInteger>(_ value: T, into bytes: inout [UInt8], at offset: Int) {
    for i in 0..<MemoryLayout<T>.size { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * i)) }
}

/// Recomputes the trailer CRC over the footer entries and trailer of a sealed extent's bytes.
func resealFooter(_ bytes: inout [UInt8], entries: Int) {
    let trailer = bytes.count - 32
    let footer = trailer - entries * 48
    var crc = CRC32C.checksum(Array(bytes[footer..<trailer]))
    crc = Array(bytes[trailer..<(trailer + 28)]).withUnsafeBytes { CRC32C.extend(crc, $0) }
    storeLE(crc, into: &bytes, at: trailer + 28)
    // Version 2: the seal in the extent header repeats the trailer; a crafted
    // footer is only believed where it is, so the header is made to agree.
    if bytes[4] == 2, bytes[5] == 0 {
        for i in 0..<16 { bytes[32 + i] = bytes[trailer + 8 + i] }
        storeLE(crc, into: &bytes, at: 48)
        storeLE(CRC32C.checksum(Array(bytes[0..<60])), into: &bytes, at: 60)
    }
}

/// Recomputes the header CRC of the record at `offset`.
func resealRecordHeader(_ bytes: inout [UInt8], at offset: Int) {
    storeLE(CRC32C.checksum(Array(bytes[offset..<(offset + 60)])), into: &bytes, at: offset + 60)
}

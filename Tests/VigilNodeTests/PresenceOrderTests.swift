import Foundation
import Logging
import Testing
import VigilCore
import VigilNode

@Suite("Presence checks: key order and any order agree", .timeLimit(.minutes(2)))
struct PresenceOrderTests {
    /// A batch in key order is answered from sorted keys, any other from the
    /// hash table: both must give the same answers, before and after more
    /// writes, across volumes, with absent keys and a volume the node lacks.
    @Test func sortedAndUnsortedBatchesGiveTheSameAnswers() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("presence-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try NodeStore(config: NodeConfig(dataDirectory: directory, tokens: TokenSet(reader: "r")), logger: Logger(label: "t"))
        var held: [(BlockKey, UInt64)] = []
        for volume in UInt64(1)...3 {
            _ = try await store.createVolume(volume, generation: 1)
        }
        func write(_ range: Range<Int>) async throws {
            for i in range {
                let data = Array("block \(i)".utf8)
                let volume = UInt64(i % 3 + 1)
                _ = try await store.put(volume: volume, key: .of(data), data: data)
                held.append((.of(data), volume))
            }
        }
        func ask() -> (sorted: [Presence], shuffled: [Presence], pairs: [(BlockKey, UInt64)]) {
            var pairs = held
            pairs += held.prefix(50).map { ($0.0, $0.1 % 3 + 1) }  // the right key on the wrong volume
            pairs += (0..<50).map { (BlockKey.of(Array("absent \($0)".utf8)), UInt64($0 % 4 + 1)) }  // volume 4 does not exist
            pairs.sort { $0.0 < $1.0 }
            let sorted = store.check(pairs)
            let order = Array(pairs.indices).shuffled()
            let shuffledAnswers = store.check(order.map { pairs[$0] })
            var shuffled = [Presence](repeating: .absent, count: pairs.count)
            for (position, index) in order.enumerated() { shuffled[index] = shuffledAnswers[position] }
            return (sorted, shuffled, pairs)
        }
        try await write(0..<600)
        var answers = ask()
        #expect(answers.sorted == answers.shuffled)
        #expect(answers.sorted.filter { $0 == .present }.count == 600)
        try await write(600..<900)  // writes after a sorted check: the sorted keys must see them
        answers = ask()
        #expect(answers.sorted == answers.shuffled)
        #expect(answers.sorted.filter { $0 == .present }.count == 900)
        for (answer, pair) in zip(answers.sorted, answers.pairs) where answer == .present {
            #expect(held.contains { $0 == pair }, "present only where written")
        }
    }
}

@Suite("Presence checks with records: the node compares the index's length and CRC", .timeLimit(.minutes(2)))
struct PresenceRecordTests {
    /// A check carrying the index's length and CRC answers `mismatch` where the
    /// record held differs, in key order and in any order alike; a plain check
    /// never does.
    @Test func mismatchedLengthOrCRCIsReported() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("presence-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try NodeStore(config: NodeConfig(dataDirectory: directory, tokens: TokenSet(reader: "r")), logger: Logger(label: "t"))
        _ = try await store.createVolume(1, generation: 1)
        var entries: [(key: BlockKey, length: UInt32, crc: UInt32)] = []
        for i in 0..<200 {
            let data = Array("record \(i)".utf8)
            _ = try await store.put(volume: 1, key: .of(data), data: data)
            entries.append((.of(data), UInt32(data.count), CRC32C.checksum(data)))
        }
        entries.sort { $0.key < $1.key }
        // Every third entry claims a wrong length, every fifth a wrong CRC.
        func body(_ order: [Int]) -> [UInt8] {
            var out: [UInt8] = []
            for i in order {
                let e = entries[i]
                out += e.key.bytes
                withUnsafeBytes(of: UInt64(1).littleEndian) { out += $0 }
                withUnsafeBytes(of: (i % 3 == 0 ? e.length + 1 : e.length).littleEndian) { out += $0 }
                withUnsafeBytes(of: (i % 5 == 0 ? e.crc ^ 1 : e.crc).littleEndian) { out += $0 }
            }
            return out
        }
        let expected = entries.indices.map { $0 % 3 == 0 || $0 % 5 == 0 ? Presence.mismatch : .present }
        let sorted = try #require(body(Array(entries.indices)).withUnsafeBytes { store.check(body: $0, records: true) })
        #expect(sorted.map { Presence(rawValue: $0)! } == expected)
        let order = Array(entries.indices).shuffled()
        let shuffled = try #require(body(order).withUnsafeBytes { store.check(body: $0, records: true) })
        var unshuffled = [Presence](repeating: .absent, count: entries.count)
        for (position, index) in order.enumerated() { unshuffled[index] = Presence(rawValue: shuffled[position])! }
        #expect(unshuffled == expected)
        // A plain check of the same keys: all present.
        #expect(store.check(entries.map { ($0.key, UInt64(1)) }).allSatisfy { $0 == .present })
        // A records body whose size is not a multiple of 48 is refused.
        #expect([UInt8](repeating: 0, count: 47).withUnsafeBytes { store.check(body: $0, records: true) } == nil)
    }
}

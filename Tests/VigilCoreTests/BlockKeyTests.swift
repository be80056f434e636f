import Testing
import VigilCore

@Suite(.timeLimit(.minutes(1))) struct BlockKeyTests {
    @Test func keyIsSHA256OfData() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        let key = BlockKey.of(Array("abc".utf8))
        #expect(key.hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(BlockKey(hex: key.hex) == key)
        #expect(BlockKey(hex: key.hex.uppercased()) == key)
        #expect(BlockKey(bytes: key.bytes) == key)
    }

    @Test func malformedHexIsRejected() {
        #expect(BlockKey(hex: "abc") == nil)
        #expect(BlockKey(hex: String(repeating: "g", count: 64)) == nil)
        #expect(BlockKey(bytes: [UInt8](repeating: 0, count: 31)) == nil)
    }

    @Test func orderIsByteOrder() {
        let keys = (0..<200).map { BlockKey.of([UInt8(truncatingIfNeeded: $0), UInt8($0 % 7)]) }
        let byKey = keys.sorted()
        let byBytes = keys.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        #expect(byKey == byBytes)
    }

    @Test func shardsCoverTheKeySpaceExactlyOnce() {
        let keys = (0..<2000).map { BlockKey.of([UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)]) } + [.zero, .max]
        for count in [1, 3, 8] {
            let shards = (0..<count).map { KeyRange.shard($0, of: count) }
            for key in keys {
                #expect(shards.filter { $0.contains(key) }.count == 1)
            }
        }
    }

    @Test func crc32cKnownVector() {
        // CRC32C("123456789") = 0xE3069283 (RFC 3720).
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        let data = Array("123456789".utf8)
        let split = data.withUnsafeBytes { raw in
            CRC32C.extend(CRC32C.extend(0, UnsafeRawBufferPointer(rebasing: raw[0..<4])), UnsafeRawBufferPointer(rebasing: raw[4...]))
        }
        #expect(split == 0xE306_9283)
    }
}

@testable import Fuzz
import Foundation
import Testing
import VigilCore

/// Fuzzing at a small budget: seeds from the committed corpora, mutated at
/// random, each input held to the same `FuzzOracle` libFuzzer traps on
/// (`Scripts/fuzz`); and each oracle shown to catch the damage it exists for.
@Suite("Fuzz: extent reader, presence and sample decoders", .timeLimit(.minutes(2)))
struct FuzzTests {
    static let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzSeeds")
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    static func files(_ folder: URL, prefix: String = "") throws -> [[UInt8]] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(prefix) }.sorted()
            .map { Array(try Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    /// Flips, inserts, deletes or overwrites a few bytes.
    static func mutate(_ input: [UInt8], _ rng: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...6, using: &rng) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1: bytes.insert(contentsOf: (0..<Int.random(in: 1...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }, at: at)
            case 2 where !bytes.isEmpty: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...64, using: &rng)))
            default: if !bytes.isEmpty { bytes[at] = [0x00, 0xFF, 0x7F, 0x80][Int.random(in: 0..<4, using: &rng)] }
            }
        }
        return bytes
    }

    static func scratch() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString).extent").path
    }

    @Test func mutatedExtentsKeepTheReadersGuarantees() throws {
        let seeds = try Self.files(Self.corpus)
        #expect(seeds.count >= 10)
        let path = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: path) }
        var rng = SystemRandomNumberGenerator()
        for round in 0..<300 {
            let input = round < seeds.count ? seeds[round] : Self.mutate(seeds[round % seeds.count], &rng)
            let broken = FuzzOracle.extent(input, at: path)
            #expect(broken.isEmpty, "\(broken) for \(Data(input).base64EncodedString())")
        }
    }

    @Test func mutatedPresenceBatchesKeepTheDecodersGuarantees() throws {
        let seeds = try Self.files(Self.seeds.appendingPathComponent("presence"))
        #expect(seeds.count >= 3)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<3000 {
            let input = Self.mutate(seeds[round % seeds.count], &rng)
            #expect(FuzzOracle.presence(input).isEmpty, "\(FuzzOracle.presence(input))")
        }
    }

    @Test func mutatedSamplesKeepTheDecodersGuarantees() throws {
        let seeds = try Self.files(Self.seeds.appendingPathComponent("sample"))
        #expect(seeds.count >= 4)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<5000 {
            let input = round < seeds.count ? seeds[round] : Self.mutate(seeds[round % seeds.count], &rng)
            #expect(FuzzOracle.sample(input).isEmpty, "\(FuzzOracle.sample(input))")
            if !seeds.contains(input) {
                #expect((try? SampleVerifier(keyring: fuzzSampleKeys, zone: nil).open(key: Array(input.prefix(32)), value: Array(input.dropFirst(32)))) == nil,
                        "a mutated signed sample verified")
            }
        }
    }

    // MARK: The oracles can fail

    @Test func theExtentOracleCatchesRecordsThatAreNotThere() throws {
        let block: [UInt8] = Array("the oracle's own block".utf8)
        let path = Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try ExtentWriter.create(path: path, header: ExtentHeader(volume: 1, generation: 1, maxBlockSize: 1 << 20, createdAtMicros: 1))
        _ = try writer.append(key: .of(block), data: block, writtenAtMicros: 5)
        try writer.seal()
        let input = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        var records: [ScannedRecord] = []
        let report = try ExtentReader(path: path).scan(onRecord: { records.append($0) })
        #expect(records.count == 1 && FuzzOracle.scan(input, records: records, report: report).isEmpty)
        #expect(FuzzOracle.extent(input, at: path).isEmpty)

        var beyond = records[0]
        beyond.offset = UInt64(input.count - 10)
        #expect(!FuzzOracle.scan(input, records: [beyond], report: report).isEmpty, "a record past the end of the file")
        var wrongCRC = records[0]
        wrongCRC.dataCRC ^= 1
        #expect(!FuzzOracle.scan(input, records: [wrongCRC], report: report).isEmpty, "a record whose CRC is not the header's")
        var damaged = records[0]
        damaged.isIntact = false
        #expect(!FuzzOracle.scan(input, records: [damaged], report: report).isEmpty, "an intact record called damaged")
        var flipped = input
        flipped[Int(records[0].offset) + ExtentFormat.recordHeaderSize] ^= 1
        #expect(!FuzzOracle.scan(flipped, records: records, report: report).isEmpty, "a record called intact over damaged data")
        #expect(!FuzzOracle.scan(input, records: records + records, report: report).isEmpty, "overlapping records and wrong counts")
    }

    @Test func theSampleOracleCatchesAcceptanceWithoutAMAC() throws {
        let message = SampleMessage(key: .of([7]), zone: "zone-a", volume: 3, length: 1, writtenAtMicros: 9)
        let signed = message.key.bytes + message.encodeValue(signedWith: fuzzSampleKeys.current)
        #expect(FuzzOracle.sample(signed).isEmpty)
        // A keyring holding the secret the oracle's impostor uses makes acceptance under "another secret" visible.
        let impostor = try SampleKeyring([SampleKey(id: 7, secret: Array(repeating: 0xA5, count: 32))])
        let forged = message.key.bytes + message.encodeValue(signedWith: impostor.current)
        #expect(!FuzzOracle.sample(forged, keys: impostor).isEmpty, "accepted under the impostor's secret")
    }

    @Test func thePresenceOracleCatchesADecoderThatLosesOrInventsEntries() {
        let body = PresenceBatch(keys: [.of([1]), .of([2])], volumes: [1, 2]).encode()
        #expect(FuzzOracle.presence(body).isEmpty)
        #expect(FuzzOracle.presence(body + [0]).isEmpty, "a ragged body is refused, not decoded")
        let dropsTheLast: (UnsafeRawBufferPointer, Bool) -> PresenceBatch? = { raw, records in
            PresenceBatch.decode(raw, records: records).map { PresenceBatch(keys: Array($0.keys.dropLast()), volumes: Array($0.volumes.dropLast())) }
        }
        #expect(!FuzzOracle.presence(body, decode: dropsTheLast).isEmpty, "an entry lost in decoding")
        let acceptsRagged: (UnsafeRawBufferPointer, Bool) -> PresenceBatch? = { raw, records in
            PresenceBatch.decode(UnsafeRawBufferPointer(rebasing: raw[0..<(raw.count / 40 * 40)]), records: false)
        }
        #expect(!FuzzOracle.presence(body + [0], decode: acceptsRagged).isEmpty, "a ragged body decoded")
    }
}

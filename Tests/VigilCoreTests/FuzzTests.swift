import Foundation
import PropertyBased
import Testing
import VigilCore

/// Fuzzing at a small budget: seeds from the committed corpora, mutated at
/// random. No input may crash a decoder or make it allocate without bound.
@Suite("Fuzz: extent reader and sample decoder")
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

    @Test func extentReaderSurvivesMutatedExtents() async throws {
        let seeds = try Self.files(Self.corpus)
        #expect(seeds.count >= 10)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString).extent").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var rng = SystemRandomNumberGenerator()
        for round in 0..<300 {
            let input = Self.mutate(seeds[round % seeds.count], &rng)
            try Data(input).write(to: URL(fileURLWithPath: path))
            var records = 0
            let report = try ExtentReader(path: path).scan(onRecord: { _ in records += 1 })
            #expect(report.problems.count <= report.problemCount)
            #expect(report.intactBytes <= UInt64(input.count))
            #expect(records <= input.count / ExtentFormat.recordHeaderSize + 1)
        }
    }

    @Test func sampleDecoderSurvivesMutatedMessages() async throws {
        let seeds = try Self.files(Self.seeds.appendingPathComponent("sample"))
        #expect(seeds.count >= 4)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<5000 {
            let input = Self.mutate(seeds[round % seeds.count], &rng)
            let key = Array(input.prefix(32)), value = Array(input.dropFirst(32))
            if let parsed = try? SampleMessage.parse(key: key, value: value) {
                #expect(parsed.encodeValue() == value, "whatever parses re-encodes to the same bytes")
            }
            if let opened = try? SampleVerifier(keyring: SampleSeeds.keys, zone: nil).open(key: key, value: value) {
                #expect(opened.message.encodeValue(signedWith: SampleSeeds.keys.current) == value, "whatever verifies re-signs to the same bytes")
                #expect(seeds.contains(input), "a mutated signed sample verified")
            }
        }
    }
}

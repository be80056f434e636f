import Foundation
import Logging
import Testing
import VigilCore
import VigilNode

@Suite("Fuzz: presence-check request decoder", .timeLimit(.minutes(2)))
struct PresenceFuzzTests {
    static let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("VigilCoreTests/FuzzSeeds/presence")

    @Test func presenceDecoderAnswersEveryWellFormedBodyAndRefusesTheRest() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-node-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try NodeStore(config: NodeConfig(dataDirectory: directory, tokens: TokenSet(reader: "r")), logger: Logger(label: "fuzz"))
        _ = try await store.createVolume(1, generation: 1)
        let data: [UInt8] = [1, 2, 3]
        _ = try await store.put(volume: 1, key: .of(data), data: data)

        let seeds = try FileManager.default.contentsOfDirectory(atPath: Self.seeds.path).filter { $0.hasPrefix("presence-") }.sorted()
            .map { Array(try Data(contentsOf: Self.seeds.appendingPathComponent($0))) }
        #expect(seeds.count >= 3)
        var rng = SystemRandomNumberGenerator()
        for round in 0..<3000 {
            var body = FuzzMutation.mutate(seeds[round % seeds.count], &rng)
            if round % 7 == 0 { body = BlockKey.of(data).bytes + [1, 0, 0, 0, 0, 0, 0, 0] }  // a known present pair
            let answer = body.withUnsafeBytes { store.check(body: $0) }
            if body.count % 40 == 0 {
                let answer = try #require(answer)
                #expect(answer.count == body.count / 40)
                #expect(answer.allSatisfy { $0 <= 2 })
                if round % 7 == 0 { #expect(answer == [Presence.present.rawValue]) }
            } else {
                #expect(answer == nil, "a ragged body is refused")
            }
        }
    }
}

enum FuzzMutation {
    static func mutate(_ input: [UInt8], _ rng: inout some RandomNumberGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0 where !bytes.isEmpty: bytes[at] ^= 0xFF
            case 1: bytes.insert(contentsOf: [UInt8](repeating: UInt8.random(in: 0...255, using: &rng), count: Int.random(in: 1...80, using: &rng)), at: at)
            default: if !bytes.isEmpty { bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...40, using: &rng))) }
            }
        }
        return bytes
    }
}

import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

/// The frontend sums the bytes of writes committing together into one UPDATE
/// of their volume's row; none is lost or counted twice on the way.
@Suite("Volume bytes under concurrent writes", .serialized, .timeLimit(.minutes(4)))
struct VolumeBytesTests {
    @Test("64 concurrent PUTs: each open volume's size_bytes is the sum of the blocks acknowledged in it")
    func sizeIsTheSumOfAcknowledgedBlocks() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 20) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            let perVolume = LockedValue<[Int64: Int64]>([:])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        for _ in 0..<4 {
                            let data = randomBlock(100...20_000)
                            let result = try await frontend.put(data)
                            let volume = try #require(result.volume)
                            perVolume.withLock { $0[volume, default: 0] += Int64(data.count) }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let expected = perVolume.value
            #expect(expected.values.reduce(0, +) > 0)
            let open = try await cluster.index.volumes(inState: "open")
            for (volume, bytes) in expected {
                let record = try #require(open.first { $0.id == volume }, "volume \(volume) is still open")
                #expect(record.sizeBytes == bytes, "volume \(volume)")
            }
        }
    }
}

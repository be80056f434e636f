import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres
import VigilTestSupport
import VigilVerifier
@testable import VigilDiskScrubber

/// Valid bytes the index does not place on this node: an extent of a volume
/// the node holds no live replica of, one an executed trash took out, one whose
/// records are keys the index does not know. And the harmless look-alikes: a
/// copy an install instruction placed, one a pending trash is taking out.
@Suite("Disk scrubber: extents the index does not place here", .serialized)
struct ScrubberPlacementTests {
    static func scan(_ scrubber: DiskScrubber, _ name: ExtentName) async throws -> [String] {
        try await scrubber.scan("extents/\(name)", limiter: SharedRateLimiter(rate: nil)).findings.map(\.kind)
    }

    /// A sealed extent named `name` holding `count` random blocks the index has never seen.
    static func foreignExtent(_ name: ExtentName, count: Int, at path: String) throws {
        let header = ExtentHeader(volume: name.volume, generation: name.generation, createdAtMicros: Int64(Date().timeIntervalSince1970 * 1e6))
        let writer = try ExtentWriter.create(path: path, header: header)
        for _ in 0..<count {
            let data = randomBlock(512...2048)
            _ = try writer.append(key: BlockKey.of(data), data: data, writtenAtMicros: header.createdAtMicros)
        }
        try writer.seal()
    }

    @Test("a copy of a volume the node holds no replica of, a resurrected trashed copy and unknown records are extent_identity; an installed copy and a pending trash are not",
          .timeLimit(.minutes(4)))
    func extentsNotPlacedHere() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<300 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let nodes = cluster.zones[0].nodes
            let sealed = try await index.volumes(inState: "sealed")
            try #require(sealed.count >= 3)
            // No master: nothing but this test executes the instructions it records.
            await Processes.terminate(cluster.process(named: "zone-a/master").pid)
            let scrubbers = Dictionary(uniqueKeysWithValues: nodes.map { ($0.id, ScrubberRaceTests.scrubber(cluster, $0)) })

            // A volume's extent copied onto a node that holds no replica of it.
            var placed: (ExtentName, ClusterFile.Node, ClusterFile.Node)?
            for volume in sealed where placed == nil {
                let replicas = try await index.replicas(of: volume.id)
                if let outsider = nodes.first(where: { n in !replicas.contains { $0.node.id == n.id } }),
                   let holder = nodes.first(where: { n in replicas.contains { $0.node.id == n.id } }) {
                    placed = (ExtentName(volume: UInt64(volume.id), generation: 1), holder, outsider)
                }
            }
            let (copied, holder, outsider) = try #require(placed, "every node holds every volume")
            try FileManager.default.copyItem(atPath: "\(holder.dataDirectory)/extents/\(copied)", toPath: "\(outsider.dataDirectory)/extents/\(copied)")
            #expect(try await Self.scan(scrubbers[holder.id]!, copied).isEmpty, "the holder's own copy is clean")
            #expect(try await Self.scan(scrubbers[outsider.id]!, copied) == ["extent_identity"], "a copy of a volume this node holds no replica of")
            // The same file placed by a recorded install (a re-replication or drain in flight): not accused.
            _ = try await index.recordInstall(node: outsider.id, volume: Int64(copied.volume), generation: 1, reason: "test: re-replication in flight")
            #expect(try await Self.scan(scrubbers[outsider.id]!, copied).isEmpty, "an instructed install is not accused")

            // GC taking a copy out: a trash recorded, the row trashed, the move not yet done: not accused.
            let gone = try #require(try await index.replicas(of: sealed[1].id).first)
            let goneName = ExtentName(volume: UInt64(sealed[1].id), generation: UInt32(gone.generation))
            let trash = try await index.recordInstruction(kind: "trash", node: gone.node.id, volume: sealed[1].id, generation: gone.generation, reason: "test: gc in flight")
            try await index.setReplicaState(volume: sealed[1].id, node: gone.node.id, state: "trashed")
            #expect(try await Self.scan(scrubbers[gone.node.id]!, goneName).isEmpty, "a pending trash is not accused")
            // Executed (moved to trash/), then put back by hand: not this node's extent any more.
            try await cluster.nodeClient(nodes.first { $0.id == gone.node.id }!, admin: true).trash(goneName, instruction: trash)
            try await index.markExecuted(trash)
            let goneDirectory = nodes.first { $0.id == gone.node.id }!.dataDirectory
            try FileManager.default.moveItem(atPath: "\(goneDirectory)/trash/\(goneName)", toPath: "\(goneDirectory)/extents/\(goneName)")
            #expect(try await Self.scan(scrubbers[gone.node.id]!, goneName) == ["extent_identity"], "a trashed copy back in extents/")

            // A sealed extent under a live replica's name whose records are blocks the index does not know.
            let other = try #require(try await index.replicas(of: sealed[2].id).first)
            let otherName = ExtentName(volume: UInt64(sealed[2].id), generation: UInt32(other.generation))
            let otherPath = "\(nodes.first { $0.id == other.node.id }!.dataDirectory)/extents/\(otherName)"
            try Self.foreignExtent(otherName, count: 20, at: otherPath + ".forged")
            #expect(rename(otherPath + ".forged", otherPath) == 0, "renamed over the live extent")
            #expect(try ExtentReader(path: otherPath).scan().isClean, "the forged extent passes every checksum")
            #expect(try await Self.scan(scrubbers[other.node.id]!, otherName) == ["extent_identity"], "records the index does not know")
        }
    }
}

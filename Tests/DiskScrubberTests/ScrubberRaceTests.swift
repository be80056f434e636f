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

/// A scan the world moved past is not judged: a repair trashing the copy being
/// read and bumping the replica's generation, the master unlinking a trash
/// extent being read. Each scan runs in this process, slowed down so that the
/// harmless event lands while the file is open.
@Suite("Disk scrubber: a read the world has moved past", .serialized)
struct ScrubberRaceTests {
    static func scrubber(_ cluster: ClusterFile, _ node: ClusterFile.Node) -> DiskScrubber {
        let config = DiskScrubberConfig(zone: "zone-a", nodeID: node.id, dataDirectory: node.dataDirectory, databaseURL: cluster.zones[0].database)
        return DiskScrubber(config: config, pool: PostgresPool(url: cluster.zones[0].database, size: 2))
    }

    /// Whether this process has a file open that it opened as `path` (the node
    /// moves an extent by link and unlink: the open name then reads "(deleted)").
    static func isOpen(_ path: String) -> Bool {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.contains {
            let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")
            return link == path || link == path + " (deleted)"
        }
    }

    /// Starts a scan of `relative` paced to last about `seconds`; returns once the file is open.
    static func slowScan(_ scrubber: DiskScrubber, _ relative: String, seconds: Double) async throws -> Task<StepOutcome, any Error> {
        let path = "\(scrubber.config.dataDirectory)/\(relative)"
        let limiter = SharedRateLimiter(rate: Double(try FileStatus.of(path: path).size) / seconds, burst: 1)
        let scan = Task { try await scrubber.scan(relative, limiter: limiter) }
        #expect(try await eventually(timeout: .seconds(30), interval: .milliseconds(5)) { isOpen(path) }, "the scan never opened \(path)")
        return scan
    }

    static func flipDataByte(of key: BlockKey, at path: String) throws {
        let entry = try #require(try ExtentReader(path: path).footer()?.first { $0.key == key })
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let offset = entry.offset + UInt64(ExtentFormat.recordHeaderSize)
        try handle.seek(toOffset: offset)
        let byte = try #require(try handle.read(upToCount: 1))
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data([byte[0] ^ 0x40]))
    }

    @Test("a repair that trashes the damaged copy being read and installs a new generation, then the master unlinking that copy from trash/ while it is read: nothing is reported",
          .timeLimit(.minutes(5)))
    func repairAndUnlinkDuringScans() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<150 { _ = try await frontend.put(randomBlock(512...2048)) }
            let index = cluster.index
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let volume = try #require(try await index.volumes(inState: "sealed").first).id
            let replica = try #require(try await index.replicas(of: volume).first)
            let node = try #require(cluster.zones[0].nodes.first { $0.id == replica.node.id })
            let scrubber = Self.scrubber(cluster, node)
            let name = ExtentName(volume: UInt64(volume), generation: UInt32(replica.generation))
            let trashPath = "\(node.dataDirectory)/trash/\(name)"

            // A damaged copy (a flipped data byte), repaired while the scrubber reads
            // it (the fd keeps reading the file the repair moved to trash/).
            let key = try #require(try await index.liveKeys(in: volume).first)
            try Self.flipDataByte(of: key, at: "\(node.dataDirectory)/extents/\(name)")
            let first = try await Self.slowScan(scrubber, "extents/\(name)", seconds: 20)
            try await index.requestRepair(volume: volume, node: node.id, generation: replica.generation, reason: "test: data_crc, repaired while the scrubber reads", requestedBy: "test")
            #expect(try await eventually(timeout: .seconds(60), interval: .milliseconds(50)) {
                try await db.query("SELECT 1 FROM repair_queue WHERE volume_id = $1 AND node_id = $2 AND state = 'done'",
                                   [.int64(volume), .int32(Int32(node.id))]).count > 0
            }, "the repair did not finish")
            #expect(Self.isOpen("\(node.dataDirectory)/extents/\(name)"), "the repair finished while the scan still read the copy")
            #expect(FileManager.default.fileExists(atPath: trashPath), "the repair moved the copy being read to trash/")
            let repaired = try await first.value
            #expect(repaired.findings.isEmpty, "accused on a read a repair moved past: \(repaired.findings.map(\.details))")
            #expect(repaired.repairs.isEmpty, "queued a repair of the fresh copy")

            // The trashed copy (damaged: why it was replaced), unlinked by the master while read.
            let second = try await Self.slowScan(scrubber, "trash/\(name)", seconds: 10)
            let unlink = try await index.recordInstruction(kind: "unlink", node: node.id, volume: volume, generation: Int(name.generation), reason: "test: inspected, retention over")
            try await cluster.nodeClient(node, admin: true).unlink(name, instruction: unlink)
            try await index.markExecuted(unlink)
            #expect(try await index.replacedByRepair(node: node.id, volume: volume, generation: Int(name.generation)),
                    "a copy a repair replaced stays replaced once the master unlinks it")
            let unlinked = try await second.value
            #expect(unlinked.findings.isEmpty, "accused a trash extent the master unlinked mid-scan: \(unlinked.findings.map(\.details))")
            #expect(unlinked.cleanPrefixes.contains("node/\(node.id)/trash/\(name)"), "the damage left with the file")
        }
    }
}

import Foundation
import Logging
import Metrics
import ServiceLifecycle
import VigilCore
import VigilNodeClient
import VigilPostgres
import VigilTelemetry

/// The zone's public read/write path.
public final class Frontend: Sendable {
    public let config: FrontendConfig
    let index: BlockIndex
    private let allocator: VolumeAllocator
    private let volumeBytes: VolumeBytesRecorder
    private let sampler: Sampler
    private let logger: Logger
    /// What the frontend's services say about themselves; the daemon's `/healthz`.
    public let health = HealthBoard()
    private let puts = Counter(label: "vigil_frontend_puts_total")
    private let dedups = Counter(label: "vigil_frontend_dedup_puts_total")
    private let putBytes = Counter(label: "vigil_frontend_put_bytes_total")
    private let gets = Counter(label: "vigil_frontend_gets_total")
    private let badReplicaReads = Counter(label: "vigil_frontend_bad_replica_reads_total")
    private let failedReplicaWrites = Counter(label: "vigil_frontend_failed_replica_writes_total")

    public init(config: FrontendConfig, logger: Logger) throws {
        self.config = config
        self.logger = logger
        index = BlockIndex(pool: PostgresPool(url: config.databaseURL, size: 16))
        allocator = VolumeAllocator(config: config, index: index, logger: logger)
        volumeBytes = VolumeBytesRecorder(index: index)
        sampler = try Sampler(config: config, logger: logger)
        health.watch("volume_allocator") { [allocator] in HealthReport(problem: allocator.problem) }
        if let producer = sampler.producer { health.watch("sample_producer") { HealthReport(problem: producer.problem) } }
    }

    /// The frontend's long-lived work for the daemon's service group, in start
    /// order (shut down in reverse): the index's connection pool, a check that
    /// the database answers, the sampler's Kafka producer (it flushes at
    /// shutdown), and the allocator opening volumes for writes and sealing full ones.
    public var services: [any Service] {
        let database = PeriodicService(name: "database", every: .seconds(5), health: health, overdueAfter: index.pool.leaseTimeout * 2, logger: logger) {
            try await self.index.pool.ping()
        }
        return [index.pool, database] + (sampler.producer.map { [$0] } ?? []) + [allocator]
    }

    /// Volumes left open by an earlier run take no more writes: the master seals them.
    public func start() async throws {
        for volume in try await index.volumes(inState: "open") {
            _ = try await index.setVolumeState(volume.id, from: ["open"], to: "closed")
        }
    }

    public struct PutResult: Sendable, Codable {
        public var key: String
        public var volume: Int64
        public var deduplicated: Bool
    }

    /// Stores a block: on all R replicas of one volume, then in the index.
    public func put(_ data: [UInt8]) async throws -> PutResult {
        guard data.count <= config.maxBlockSize else { throw FrontendError.tooLarge(data.count, limit: config.maxBlockSize) }
        let key = try await blockingIO { BlockKey.of(data) }
        if let row = try await index.lookup(key), row.state == .live {
            dedups.increment()
            return PutResult(key: key.hex, volume: row.volume, deduplicated: true)
        }
        let checksum = CRC32C.checksum(data)
        var lastError: Error = FrontendError.unavailable("no volume took the write")
        for _ in 0..<5 {
            let lease: VolumeLease
            do {
                lease = try await allocator.lease(bytes: data.count)
            } catch {
                // Opening a volume failed on a node (now avoided for a while): try again.
                lastError = error
                continue
            }
            let failed = await writeReplicas(lease, key: key, data: data)
            if !failed.isEmpty {
                failedReplicaWrites.increment(by: failed.count)
                // A sealed volume (409) is the volume's state, not the node's health.
                await allocator.fail(lease, failedNodes: failed.filter(\.nodeAtFault).map(\.node))
                lastError = FrontendError.unavailable("replica writes failed: \(failed.map(\.error))")
                continue
            }
            do {
                try await index.commit(BlockRow(key: key, volume: lease.volume, length: Int32(data.count), checksum: checksum, state: .live))
                try await volumeBytes.add(lease.volume, bytes: data.count)
            } catch {
                allocator.release(lease)
                throw error
            }
            allocator.release(lease)
            puts.increment()
            putBytes.increment(by: data.count)
            sampler.offer(key: key, volume: lease.volume, length: data.count, writtenAtMicros: Int64(Date().timeIntervalSince1970 * 1_000_000))
            return PutResult(key: key.hex, volume: lease.volume, deduplicated: false)
        }
        throw lastError
    }

    /// Writes to every replica in parallel; returns the ones that failed.
    private func writeReplicas(_ lease: VolumeLease, key: BlockKey, data: [UInt8]) async -> [(node: Int, error: String, nodeAtFault: Bool)] {
        await withTaskGroup(of: (Int, String, Bool)?.self) { group in
            for node in lease.replicas {
                group.addTask {
                    do {
                        try await NodeClient(address: node.address, token: self.config.nodeToken).put(volume: UInt64(lease.volume), key: key, data: data)
                        return nil
                    } catch {
                        let sealed = (error as? NodeClientError)?.kind == .status(409)
                        return (node.id, "\(node.name): \(error)", !sealed)
                    }
                }
            }
            var failed: [(node: Int, error: String, nodeAtFault: Bool)] = []
            for await result in group { if let result { failed.append(result) } }
            return failed
        }
    }

    /// Reads a block, verifying SHA-256; a bad or missing replica is skipped and queued for repair.
    public func get(_ key: BlockKey) async throws -> [UInt8] {
        gets.increment()
        guard let row = try await index.lookup(key) else { throw FrontendError.notFound }
        guard row.state == .live else { throw FrontendError.deleted }
        let replicas = try await index.replicas(of: row.volume).filter { $0.state == "live" }.shuffled()
        var problems: [String] = []
        for replica in replicas {
            let client = NodeClient(address: replica.node.address, token: config.nodeToken)
            do {
                let data = try await client.get(volume: UInt64(row.volume), key: key)
                if try await blockingIO({ BlockKey.of(data) }) == key { return data }
                problems.append("\(replica.node.name): SHA-256 mismatch")
                await queueRepair(row.volume, replica, reason: "read: SHA-256 of the returned data is not the key")
            } catch let error as NodeClientError where error.isUnauthorized || error.kind == .status(503) {
                // A refused credential or a node shedding load says nothing about its copy: no repair.
                problems.append("\(replica.node.name): \(error)")
            } catch let error as NodeClientError where !error.isUnreachable {
                problems.append("\(replica.node.name): \(error)")
                await queueRepair(row.volume, replica, reason: "read: \(error.code ?? "error") for \(key.hex)")
            } catch {
                problems.append("\(replica.node.name): unreachable")
            }
        }
        throw FrontendError.unavailable("no replica served a verified copy (\(problems.joined(separator: "; ")))")
    }

    /// Marks a block deleted; GC reclaims the space later.
    public func delete(_ key: BlockKey) async throws {
        guard try await index.markDeleted(key) else { throw FrontendError.notFound }
    }

    private func queueRepair(_ volume: Int64, _ replica: ReplicaRecord, reason: String) async {
        badReplicaReads.increment()
        logger.error("bad replica on read; repair queued", metadata: ["vigil.volume": "\(volume)", "vigil.node": "\(replica.node.name)", "vigil.reason": "\(reason)"])
        try? await index.requestRepair(volume: volume, node: replica.node.id, generation: replica.generation, reason: reason, requestedBy: "frontend")
    }
}

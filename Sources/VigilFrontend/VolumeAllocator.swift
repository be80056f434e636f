import Foundation
import Logging
import VigilCore
import VigilNodeClient
import VigilPostgres

/// A write's place: a volume and the nodes holding its replicas.
struct VolumeLease: Sendable {
    var volume: Int64
    var replicas: [NodeRecord]
}

/// Hands out the open volume writes go to; opens a new one (R nodes, an extent
/// on each) when the current is full or failed, and seals full volumes once
/// their last write finishes. One frontend owns the volumes it opens.
actor VolumeAllocator {
    struct OpenVolume {
        var lease: VolumeLease
        var reserved: Int64 = 0
        var inFlight = 0
        var full = false
    }

    private let config: FrontendConfig
    private let index: BlockIndex
    private let logger: Logger
    private var current: OpenVolume?
    private var retiring: [Int64: OpenVolume] = [:]
    private var opening: Task<OpenVolume, Error>?
    /// Nodes that failed a write recently, kept out of new volumes for a while.
    private var suspect: [Int: ContinuousClock.Instant] = [:]

    init(config: FrontendConfig, index: BlockIndex, logger: Logger) {
        self.config = config
        self.index = index
        self.logger = logger
    }

    func lease(bytes: Int) async throws -> VolumeLease {
        while true {
            if var open = current, !open.full {
                open.inFlight += 1
                open.reserved += Int64(bytes)
                if open.reserved >= config.volumeTargetBytes { open.full = true }
                if open.full {
                    retiring[open.lease.volume] = open
                    current = nil
                } else {
                    current = open
                }
                return open.lease
            }
            let task = opening ?? Task { try await self.openVolume() }
            opening = task
            defer { opening = nil }
            let opened = try await task.value
            // Callers waiting on the same opening all get it; the first installs it.
            if current == nil, retiring[opened.lease.volume] == nil { current = opened }
        }
    }

    /// The write finished (all replicas acknowledged). Seals a full volume after its last write.
    func release(_ lease: VolumeLease) async {
        if var open = current, open.lease.volume == lease.volume {
            open.inFlight -= 1
            current = open
            return
        }
        guard var open = retiring[lease.volume] else { return }
        open.inFlight -= 1
        retiring[lease.volume] = open
        if open.inFlight == 0 {
            retiring.removeValue(forKey: lease.volume)
            await seal(open.lease)
        }
    }

    /// A replica write failed: the volume takes no more writes; its nodes
    /// that failed are avoided for a while. The master seals it later.
    func fail(_ lease: VolumeLease, failedNodes: [Int]) async {
        for node in failedNodes { suspect[node] = .now + .seconds(30) }
        if current?.lease.volume == lease.volume {
            current = nil
        }
        retiring.removeValue(forKey: lease.volume)
        _ = try? await index.setVolumeState(lease.volume, from: ["open"], to: "closed")
        logger.warning("volume stopped taking writes after a replica write failed", metadata: [
            "vigil.volume": "\(lease.volume)", "vigil.failed_nodes": "\(failedNodes)",
        ])
    }

    private func openVolume() async throws -> OpenVolume {
        let now = ContinuousClock.now
        suspect = suspect.filter { $0.value > now }
        let candidates = try await index.nodes().filter { $0.state == "up" && suspect[$0.id] == nil }.shuffled()
        guard candidates.count >= config.replication else {
            throw FrontendError.unavailable("\(candidates.count) healthy nodes, \(config.replication) replicas needed")
        }
        let chosen = Array(candidates.prefix(config.replication))
        let volume = try await index.createVolume(on: chosen.map(\.id), replication: config.replication)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for node in chosen {
                    group.addTask { try await NodeClient(address: node.address, token: self.config.nodeToken).createVolume(UInt64(volume), generation: 1) }
                }
                try await group.waitForAll()
            }
        } catch {
            let failed = (error as? NodeClientError).flatMap { e in chosen.first { $0.address == e.node }?.id }
            for node in failed.map({ [$0] }) ?? [] { suspect[node] = .now + .seconds(30) }
            _ = try? await index.setVolumeState(volume, from: ["open"], to: "retired")
            throw FrontendError.unavailable("could not create volume \(volume) on its nodes: \(error)")
        }
        logger.info("opened volume", metadata: ["vigil.volume": "\(volume)", "vigil.nodes": "\(chosen.map(\.name))"])
        return OpenVolume(lease: VolumeLease(volume: volume, replicas: chosen))
    }

    private func seal(_ lease: VolumeLease) async {
        var sealedAll = true
        for node in lease.replicas {
            do {
                try await NodeClient(address: node.address, token: config.nodeToken).seal(volume: UInt64(lease.volume))
            } catch {
                sealedAll = false
                logger.warning("could not seal a replica; the master will retry", metadata: [
                    "vigil.volume": "\(lease.volume)", "vigil.node": "\(node.name)", "vigil.error": "\(error)",
                ])
            }
        }
        _ = try? await index.setVolumeState(lease.volume, from: ["open"], to: sealedAll ? "sealed" : "closed")
    }
}

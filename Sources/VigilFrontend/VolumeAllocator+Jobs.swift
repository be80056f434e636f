import Logging
import VigilCore
import VigilNodeClient
import VigilPostgres

/// The allocator's background jobs: opening a volume on R healthy nodes, and
/// sealing a full one on every replica.
extension VolumeAllocator {
    func openVolume() async throws -> VolumeLease {
        let now = ContinuousClock.now
        let avoided = suspects.withLock { s in
            s = s.filter { $0.value > now }
            return Set(s.keys)
        }
        let candidates = try await index.nodes().filter { $0.state == "up" && !avoided.contains($0.id) }.shuffled()
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
            suspect(failed.map { [$0] } ?? [])
            _ = try? await index.setVolumeState(volume, from: ["open"], to: "retired")
            throw FrontendError.unavailable("could not create volume \(volume) on its nodes: \(error)")
        }
        logger.info("opened volume", metadata: ["vigil.volume": "\(volume)", "vigil.nodes": "\(chosen.map(\.name))"])
        return VolumeLease(volume: volume, replicas: chosen)
    }

    func seal(_ lease: VolumeLease) async {
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

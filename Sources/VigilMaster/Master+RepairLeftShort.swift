import Logging
import VigilPostgres

extension Master {
    /// Volumes a repair left short of R (its copy trashed or mid-swap, the
    /// request finished, e.g. because the target died between the trash and the
    /// install) are re-replicated onto a serving node (`rereplicate`).
    func rereplicateWhatRepairsLeftShort() async throws {
        for short in try await index.replicasLeftShortByRepair() {
            guard try await index.openRereplication(volume: short.volume, leftShortOn: short.node) else { continue }
            shortVolumesReopened.increment()
            logger.warning("a repair left the volume short of its replicas; re-replicating it", metadata: [
                "vigil.volume": "\(short.volume)", "vigil.node": "\(short.node)",
            ])
        }
    }
}

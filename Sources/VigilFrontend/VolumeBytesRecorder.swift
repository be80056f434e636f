import Synchronization
import VigilPostgres

/// Adds committed bytes to each volume's `size_bytes` with at most one UPDATE
/// per volume in flight: the writes that commit while it runs are summed into
/// the next one, which the first of them sends for all (group commit, as the
/// node's `fdatasync`). The volume row is every write's hot spot: one UPDATE
/// per write queued each write's commit behind its row lock. A write returns
/// once an UPDATE holding its bytes succeeded, or throws that UPDATE's error.
final class VolumeBytesRecorder: Sendable {
    /// What a waiting write is resumed with: its bytes were recorded, or it sends the next UPDATE.
    private enum Turn { case recorded, update }

    private struct Volume {
        var pending: Int64 = 0
        var waiters: [CheckedContinuation<Turn, any Error>] = []
        var updating = false
    }

    private let index: BlockIndex
    private let volumes = Mutex<[Int64: Volume]>([:])

    init(index: BlockIndex) { self.index = index }

    func add(_ volume: Int64, bytes: Int) async throws {
        let turn = try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Turn, any Error>) in
            let leads = volumes.withLock { v -> Bool in
                v[volume, default: Volume()].pending += Int64(bytes)
                if v[volume]!.updating {
                    v[volume]!.waiters.append(waiter)
                    return false
                }
                v[volume]!.updating = true
                return true
            }
            if leads { waiter.resume(returning: .update) }
        }
        guard case .update = turn else { return }
        let (total, batch) = volumes.withLock { v -> (Int64, [CheckedContinuation<Turn, any Error>]) in
            defer {
                v[volume]!.pending = 0
                v[volume]!.waiters = []
            }
            return (v[volume]!.pending, v[volume]!.waiters)
        }
        let outcome: Result<Void, any Error>
        do {
            _ = try await index.addVolumeBytes(volume, Int(total))
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        for waiter in batch { waiter.resume(with: outcome.map { .recorded }) }
        // Writes that came meanwhile: the first sends their UPDATE.
        let next = volumes.withLock { v -> CheckedContinuation<Turn, any Error>? in
            guard !v[volume]!.waiters.isEmpty else {
                v.removeValue(forKey: volume)
                return nil
            }
            return v[volume]!.waiters.removeFirst()
        }
        next?.resume(returning: .update)
        try outcome.get()
    }
}

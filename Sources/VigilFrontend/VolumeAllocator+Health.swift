extension VolumeAllocator {
    /// How long a failure to open a volume keeps the allocator unhealthy when
    /// no later open succeeds (no write since needed one): as long as a node
    /// that failed stays suspect.
    static let openFailureMemory: Duration = .seconds(30)

    /// Nil while healthy; else why writes cannot get a volume: the last open
    /// failed (within `openFailureMemory`) and none opened since.
    var problem: String? {
        guard let failure = openFailure.withLock({ $0 }) else { return nil }
        let age = ContinuousClock.now - failure.at
        guard age < Self.openFailureMemory else { return nil }
        return "cannot open a volume for writes (\(age.components.seconds) s ago): \(failure.error)"
    }
}

/// The shape of a local cluster: `vigil dev up` and the end-to-end tests.
public struct DevClusterOptions: Sendable {
    public var directory: String
    public var zones = ["zone-a", "zone-b"]
    public var nodesPerZone = 4
    public var replication = 3
    /// Volumes are tiny in development so that sealing, repair and GC happen often.
    public var volumeTargetBytes = 4 << 20
    public var sampleRate = 0.01
    /// fdatasync every block write (the production policy); off only for throwaway tests.
    public var fsync = true
    /// Milliseconds between master rounds (dev profile).
    public var masterIntervalMs = 500
    /// Seconds a trash extent waits after a passed inspection before it is unlinked (dev profile).
    public var retentionSeconds = 5
    /// Start the verifiers beside the store.
    public var verifiers = true
    /// The verifiers' cadence: `dev` (passes in seconds) or `production` (the
    /// default rates, e.g. for measuring their overhead on the store).
    public var verifierProfile = "dev"

    public init(directory: String) { self.directory = directory }
}

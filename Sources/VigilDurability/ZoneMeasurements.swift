/// What a zone's databases record, as `vigil durability` reads it; nil where nothing is recorded yet.
public struct ZoneMeasurements: Sendable, Equatable {
    public struct Stage: Sendable, Equatable {
        public var stage: String
        public var samples: Int
        public var failures: Int
        public init(stage: String, samples: Int, failures: Int) {
            self.stage = stage
            self.samples = samples
            self.failures = failures
        }
    }

    public var volumes = 0
    /// Smallest and largest R among the volumes (the schema's default 3 when there are none).
    public var minReplication = 3, maxReplication = 3
    public var nodes = 0
    public var cadences: [VerifierCadence] = []
    public var repairsDone = 0
    /// Mean seconds from a repair's request to its completion.
    public var repairSeconds: Double?
    public var reReplicationsDone = 0
    /// Mean seconds from a node declared dead to a replica of it re-created elsewhere.
    public var reReplicationSeconds: Double?
    public var watcherStages: [Stage] = []
    /// The zone master's `--dead-after-seconds`, when set.
    public var deadAfterSeconds: Double?

    public init() {}
}

/// The stated figures used where a zone has no measurement (the command's options).
public struct Assumptions: Sendable, Equatable {
    /// Backblaze's published drive stats put the annualized failure rate at 1.4–2 %.
    public var failuresPerYear = 0.015
    /// Bairavasundaram et al. 2007: 3.45 % of 1.53 M disks developed latent sector errors in 32 months.
    public var latentErrorsPerYear = 0.013
    /// Until the master's --dead-after-seconds is set, an operator declares a node dead.
    public var nodeLossDetectSeconds = 3_600.0
    /// The disk scrubber's production sweep.
    public var scrubPeriodSeconds = 14 * 86_400.0
    public var repairSeconds = 3_600.0
    public var reReplicationSeconds = 86_400.0

    public init() {}

    /// What is wrong with these figures, if anything (checked with R=3 on 3 nodes).
    public var problems: [String] {
        DurabilityInputs(
            replication: 3, volumes: 1, nodes: 3, failuresPerYear: failuresPerYear, latentErrorsPerYear: latentErrorsPerYear,
            nodeLossDetectionHours: nodeLossDetectSeconds / 3_600, latentDetectionHours: scrubPeriodSeconds / 7_200,
            repairHours: repairSeconds / 3_600, reReplicationHours: reReplicationSeconds / 3_600
        ).problems
    }
}

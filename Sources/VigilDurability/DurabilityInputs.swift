/// Everything the model needs about one zone. Rates are per copy per year,
/// times are in hours; `vigil durability` fills each from a measurement where
/// the cluster has one and from a stated assumption where it has not.
public struct DurabilityInputs: Sendable, Equatable, Codable {
    /// R: replicas per volume.
    public var replication: Int
    /// Volumes, each an independent replica group.
    public var volumes: Int
    /// Storage nodes that hold replicas (not retired).
    public var nodes: Int
    /// Annualized failure rate of the disk or node under a copy (deaths per copy-year).
    public var failuresPerYear: Double
    /// Latent errors per copy-year: a sector of the copy that no longer reads back right.
    public var latentErrorsPerYear: Double
    /// From a node's death to the system declaring its copies lost.
    public var nodeLossDetectionHours: Double
    /// From a latent error to a verifier finding it (a scrub sweep: on average half its period).
    public var latentDetectionHours: Double
    /// From a finding to a verified repaired replica (the repair queue).
    public var repairHours: Double
    /// From a node declared dead to its volumes back at R on other nodes.
    public var reReplicationHours: Double

    public init(replication: Int, volumes: Int, nodes: Int, failuresPerYear: Double, latentErrorsPerYear: Double,
                nodeLossDetectionHours: Double, latentDetectionHours: Double, repairHours: Double, reReplicationHours: Double) {
        self.replication = replication
        self.volumes = volumes
        self.nodes = nodes
        self.failuresPerYear = failuresPerYear
        self.latentErrorsPerYear = latentErrorsPerYear
        self.nodeLossDetectionHours = nodeLossDetectionHours
        self.latentDetectionHours = latentDetectionHours
        self.repairHours = repairHours
        self.reReplicationHours = reReplicationHours
    }

    public static let hoursPerYear = 8_766.0

    /// Independent copies: two replicas on one node die together, so a group
    /// on fewer nodes than R has only as many copies as nodes.
    public var independentCopies: Int { max(1, min(replication, nodes)) }

    /// The chain's rates per hour.
    public var rates: GroupRates {
        GroupRates(
            visibleFailure: failuresPerYear / Self.hoursPerYear,
            latentError: latentErrorsPerYear / Self.hoursPerYear,
            visibleRepair: 1 / (nodeLossDetectionHours + reReplicationHours),
            latentRepair: 1 / (latentDetectionHours + repairHours))
    }

    /// What makes the model meaningless, in words an operator can act on; empty when fine.
    public var problems: [String] {
        var out: [String] = []
        if !(1...8).contains(replication) { out.append("replication \(replication) is outside 1–8") }
        if volumes < 0 || nodes < 0 { out.append("volume and node counts cannot be negative") }
        if !(failuresPerYear >= 1e-6 && failuresPerYear <= 10) { out.append("the disk failure rate must be 1e-6–10 per year (got \(failuresPerYear))") }
        if !(latentErrorsPerYear >= 0 && latentErrorsPerYear <= 100) { out.append("the latent error rate must be 0–100 per year (got \(latentErrorsPerYear))") }
        let times = [("node-loss detection", nodeLossDetectionHours), ("latent detection", latentDetectionHours),
                     ("repair", repairHours), ("re-replication", reReplicationHours)]
        for (name, hours) in times where !(hours >= 1 / 3_600 && hours <= 1_000_000) {
            out.append("the \(name) time must be between one second and 10⁶ hours (got \(hours) hours)")
        }
        return out
    }
}

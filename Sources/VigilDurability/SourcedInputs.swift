/// Where an input came from.
public enum SourceKind: String, Sendable, Codable {
    /// Read from the cluster's own records (pass ledger, repair queue, re-replications, DRT).
    case measured
    /// Read from the cluster's configuration (index tables, daemon options).
    case configured
    /// Not measurable by Vigil: a published figure or a stated default.
    case assumed
}

/// One input value with its provenance, as the report shows it.
public struct Sourced: Sendable, Equatable, Codable {
    public var value: Double
    public var kind: SourceKind
    public var source: String

    public init(_ value: Double, _ kind: SourceKind, _ source: String) {
        self.value = value
        self.kind = kind
        self.source = source
    }

    /// The measurement when there is one, else the assumption, saying why.
    public static func measured(_ value: Double?, _ source: String, else assumed: Double, _ assumption: String, missing: String) -> Sourced {
        if let value { return Sourced(value, .measured, source) }
        return Sourced(assumed, .assumed, "\(assumption) (\(missing))")
    }
}

/// A zone's inputs, each with where it came from.
public struct SourcedInputs: Sendable, Equatable {
    public var replication, volumes, nodes: Sourced
    public var failuresPerYear, latentErrorsPerYear: Sourced
    public var nodeLossDetectionHours, latentDetectionHours, repairHours, reReplicationHours: Sourced

    public init(replication: Sourced, volumes: Sourced, nodes: Sourced, failuresPerYear: Sourced, latentErrorsPerYear: Sourced,
                nodeLossDetectionHours: Sourced, latentDetectionHours: Sourced, repairHours: Sourced, reReplicationHours: Sourced) {
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

    public var inputs: DurabilityInputs {
        DurabilityInputs(
            replication: Int(replication.value), volumes: Int(volumes.value), nodes: Int(nodes.value),
            failuresPerYear: failuresPerYear.value, latentErrorsPerYear: latentErrorsPerYear.value,
            nodeLossDetectionHours: nodeLossDetectionHours.value, latentDetectionHours: latentDetectionHours.value,
            repairHours: repairHours.value, reReplicationHours: reReplicationHours.value)
    }

    /// The rows of the report's input table, in the order an operator reads them.
    public var rows: [ReportedInput] {
        [("replication (R)", "copies", replication), ("volumes", "groups", volumes), ("nodes", "nodes", nodes),
         ("disk/node failure rate", "per copy-year", failuresPerYear), ("latent error rate", "per copy-year", latentErrorsPerYear),
         ("node-loss detection", "hours", nodeLossDetectionHours), ("latent-error detection", "hours", latentDetectionHours),
         ("repair", "hours", repairHours), ("re-replication", "hours", reReplicationHours)]
            .map { ReportedInput(name: $0.0, unit: $0.1, value: $0.2.value, kind: $0.2.kind, source: $0.2.source) }
    }
}

/// One row of the input table.
public struct ReportedInput: Sendable, Equatable, Codable {
    public var name: String
    public var unit: String
    public var value: Double
    public var kind: SourceKind
    public var source: String
}

/// One input the operator can move; the sensitivity table halves each.
public enum Lever: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case scrubSweep = "scrub_sweep"
    case repairTime = "repair_time"
    case reReplicationTime = "re_replication_time"
    case nodeLossDetection = "node_loss_detection"
    case failureRate = "failure_rate"
    case latentErrorRate = "latent_error_rate"

    public var description: String {
        switch self {
        case .scrubSweep: "halve the scrubber's sweep (time to find a latent error)"
        case .repairTime: "halve the repair time"
        case .reReplicationTime: "halve the re-replication time"
        case .nodeLossDetection: "halve the time to declare a node dead"
        case .failureRate: "halve the disk failure rate"
        case .latentErrorRate: "halve the latent error rate"
        }
    }

    func halve(_ inputs: inout DurabilityInputs) {
        switch self {
        case .scrubSweep: inputs.latentDetectionHours /= 2
        case .repairTime: inputs.repairHours /= 2
        case .reReplicationTime: inputs.reReplicationHours /= 2
        case .nodeLossDetection: inputs.nodeLossDetectionHours /= 2
        case .failureRate: inputs.failuresPerYear /= 2
        case .latentErrorRate: inputs.latentErrorsPerYear /= 2
        }
    }
}

/// A row of the sensitivity table.
public struct SensitivityRow: Sendable, Equatable, Codable {
    public var lever: Lever
    public var nines: Double
    /// Nines gained over the estimate as configured.
    public var gain: Double
    /// MTTDL after the change ÷ MTTDL before.
    public var mttdlFactor: Double
}

extension DurabilityInputs {
    /// What halving each input buys, largest gain first: the first row names the input that dominates.
    public func sensitivity() -> [SensitivityRow] {
        let base = estimate()
        return Lever.allCases.map { lever in
            var changed = self
            lever.halve(&changed)
            let e = changed.estimate()
            return SensitivityRow(lever: lever, nines: e.nines, gain: e.nines - base.nines,
                                  mttdlFactor: e.groupMTTDLHours / base.groupMTTDLHours)
        }
        .sorted { $0.gain > $1.gain }
    }
}

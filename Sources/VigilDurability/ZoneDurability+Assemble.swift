extension ZoneDurability {
    /// A zone's report from what its databases record, DRT's times when given
    /// (they win: they are measured end to end), and the assumptions for the rest.
    /// Every input says where it came from; each missing measurement says what was missing.
    public static func assemble(zone: String, _ m: ZoneMeasurements, drt: DRTTimes?, assuming a: Assumptions) throws -> ZoneDurability {
        func hours(_ seconds: Double?) -> Double? { seconds.map { max($0, 1) / 3_600 } }  // measurements floored at 1 s
        var notes: [String] = []
        let scrub = m.cadences.filter { $0.verifier == "disk-scrubber" }.map(\.hoursBetweenPasses).max()
        let latentDetect: Sourced = if let d = hours(drt?.medianDetectSeconds(node: false)) {
            Sourced(d, .measured, "DRT: median time from injection to finding, data faults")
        } else {
            .measured(scrub.map { $0 / 2 }, "half the slowest node's time between complete disk-scrubber passes",
                      else: a.scrubPeriodSeconds / 7_200, "half of --scrub-period-seconds \(Int(a.scrubPeriodSeconds))",
                      missing: "no complete disk-scrubber pass recorded yet")
        }
        let repair: Sourced = if let r = hours(drt?.medianRepairSeconds(node: false)) {
            Sourced(r, .measured, "DRT: median time from finding to verified repair")
        } else {
            .measured(hours(m.repairSeconds), "mean created→done of \(m.repairsDone) repairs (repair_queue)",
                      else: a.repairSeconds / 3_600, "--repair-seconds \(Int(a.repairSeconds))", missing: "no repair done yet")
        }
        let reReplication: Sourced = if let r = hours(drt?.medianRepairSeconds(node: true)) {
            Sourced(r, .measured, "DRT: median time from a lost node found to its volumes back at R")
        } else if let r = hours(m.reReplicationSeconds) {
            Sourced(r, .measured, "mean node_lost_at→finished_at of \(m.reReplicationsDone) re-replications")
        } else if let r = hours(m.repairSeconds) {
            Sourced(r, .measured, "repair times stand in (no re-replication recorded): mean of \(m.repairsDone) repairs")
        } else {
            Sourced(a.reReplicationSeconds / 3_600, .assumed,
                    "--re-replication-seconds \(Int(a.reReplicationSeconds)) (no re-replication or repair recorded)")
        }
        let nodeDetect: Sourced = if let d = hours(drt?.medianDetectSeconds(node: true)) {
            Sourced(d, .measured, "DRT: median time to detect node_lost faults")
        } else if let s = m.deadAfterSeconds {
            Sourced(s / 3_600, .configured, "the master's --dead-after-seconds")
        } else {
            Sourced(a.nodeLossDetectSeconds / 3_600, .assumed,
                    "--node-loss-detect-seconds \(Int(a.nodeLossDetectSeconds)) (the master has no --dead-after-seconds: an operator declares a node dead)")
        }
        if let drt, drt.undetectedDataFaults.missed > 0 {
            notes.append("DRT missed \(drt.undetectedDataFaults.missed) of \(drt.undetectedDataFaults.of) data faults: an error no verifier finds has no window, and no estimate here covers it")
        }
        if m.minReplication != m.maxReplication { notes.append("R varies from \(m.minReplication) to \(m.maxReplication); the estimate uses the smallest") }
        let sourced = SourcedInputs(
            replication: m.volumes == 0 ? Sourced(3, .assumed, "the schema's default (no volumes yet)")
                : Sourced(Double(m.minReplication), .configured, "volumes.replication, smallest"),
            volumes: Sourced(Double(m.volumes), .configured, "volumes not retired"),
            nodes: Sourced(Double(m.nodes), .configured, "nodes neither dead nor retired"),
            failuresPerYear: Sourced(a.failuresPerYear, .assumed, "--disk-afr (Backblaze drive stats: 1.4–2 %/yr)"),
            latentErrorsPerYear: Sourced(a.latentErrorsPerYear, .assumed,
                                         "--latent-error-rate (Bairavasundaram et al. 2007: 3.45 % of disks in 32 months)"),
            nodeLossDetectionHours: nodeDetect, latentDetectionHours: latentDetect, repairHours: repair, reReplicationHours: reReplication)
        let problems = sourced.inputs.problems
        guard problems.isEmpty else { throw DurabilityError("\(zone): " + problems.joined(separator: "; ")) }
        let watcher = m.watcherStages.map { StageBound(stage: $0.stage, samples: $0.samples, failures: $0.failures) }
        if watcher.allSatisfy({ $0.samples == 0 }) { notes.append("the storage watcher has checked no sample yet: no model-free bound") }
        return ZoneDurability(zone: zone, sourced: sourced, cadences: m.cadences, watcher: watcher, notes: notes)
    }
}

/// Inputs the model cannot use, in words that say which and why.
public struct DurabilityError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

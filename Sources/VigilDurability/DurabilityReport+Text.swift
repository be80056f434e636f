/// The human table `vigil durability` prints.
extension DurabilityReport {
    public var text: String {
        var out: [String] = []
        out.append("ESTIMATE  P(data loss within a year) \(Nines.scientific(annualLossProbability))  = \(Nines.format(nines)) nines   MTTDL \(Nines.scientific(mttdlYears)) years")
        out.append("          (every zone, copies in other zones not credited)")
        for zone in zones { out += zone.lines }
        out.append("")
        out.append("MODEL  \(model)")
        return out.joined(separator: "\n")
    }
}

extension ZoneDurability {
    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s.padding(toLength: n, withPad: " ", startingAt: 0) }

    var lines: [String] {
        var out = ["", "ZONE \(zone)"]
        out.append("  P(loss)/yr \(Nines.scientific(estimate.annualLossProbability))  \(Nines.format(estimate.nines)) nines  MTTDL \(Nines.scientific(estimate.mttdlYears)) years")
        out.append("  per volume: MTTDL \(Nines.scientific(estimate.groupMTTDLHours / DurabilityInputs.hoursPerYear)) years (chain); closed form without latent errors \(Nines.scientific(estimate.groupMTTDLVisibleOnlyApproxHours / DurabilityInputs.hoursPerYear)) years")
        out.append("  dominant input: \(dominant.rawValue) (\(dominant))")
        out.append("  INPUTS")
        for i in inputs {
            let value = i.unit == "hours" ? Nines.duration(hours: i.value) : Nines.scientific(i.value) + " " + i.unit
            out.append("    \(Self.pad(i.name, 24))\(Self.pad(value, 22))\(Self.pad(i.kind.rawValue, 11))\(i.source)")
        }
        out.append("  SENSITIVITY (each change alone)")
        for row in sensitivity {
            out.append("    \(Self.pad(row.lever.description, 58))\(Self.pad(Nines.gain(row.gain) + " nines", 13))MTTDL ×\(Nines.scientific(row.mttdlFactor))")
        }
        if !cadences.isEmpty {
            out.append("  VERIFIER CADENCES (measured, time between complete passes)")
            for c in cadences {
                out.append("    \(Self.pad(c.verifier, 22))\(Self.pad(c.scope, 22))\(Self.pad(Nines.duration(hours: c.hoursBetweenPasses), 12))\(c.completePasses) complete")
            }
        }
        out.append("  WATCHER BOUND (model-free: per-block loss probability by each stage's age, 95 %)")
        if watcher.isEmpty { out.append("    no watcher samples checked yet") }
        for s in watcher {
            let rule = s.failures == 0 ? "  (3/N = \(Nines.scientific(s.ruleOfThree)))" : ""
            out.append("    stage \(Self.pad(s.stage, 6))N=\(Self.pad("\(s.samples)", 10))failures=\(Self.pad("\(s.failures)", 5))p < \(Nines.scientific(s.upperBound95))\(rule)")
        }
        for note in notes { out.append("  note: \(note)") }
        return out
    }
}

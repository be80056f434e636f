import ArgumentParser
import Foundation
import VigilDev
import VigilDurability
import VigilLedger
import VigilPostgres

/// `vigil durability`: the model (VigilDurability) fed with what the zones' databases record.
struct DurabilityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "durability",
        abstract: "Annual data-loss probability and MTTDL from a Markov model fed with measured and stated inputs.",
        discussion: """
            Measured: volumes, R and nodes (block index), the disk scrubber's sweep (pass ledger), repair times \
            (repair_queue), re-replication times (rereplications), watcher samples per stage; with --drt-report, \
            DRT's times to detect and repair. Assumed where Vigil cannot measure: the options below. See README, Durability.
            """)

    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "Print the report as JSON.") var json = false
    @Option(name: .customLong("drt-report"), help: "A `vigil drt --json` report: its measured times to detect and repair win over the ledgers.")
    var drtReport: String?
    @Option(name: .customLong("disk-afr"), help: "Disk or node failures per copy-year (Backblaze drive stats: 1.4–2 %/yr).")
    var diskAFR = 0.015
    @Option(name: .customLong("latent-error-rate"), help: "Latent sector errors per copy-year (Bairavasundaram et al. 2007: 3.45 % of disks in 32 months).")
    var latentErrorRate = 0.013
    @Option(name: .customLong("node-loss-detect-seconds"), help: "Time to declare a dead node lost, when the master has no --dead-after-seconds and DRT measured none.")
    var nodeLossDetectSeconds = 3_600.0
    @Option(name: .customLong("scrub-period-seconds"), help: "The scrubber's full sweep, when no complete pass is recorded (production default: 14 days).")
    var scrubPeriodSeconds = 14 * 86_400.0
    @Option(name: .customLong("repair-seconds"), help: "Time from a finding to a repaired replica, when none is recorded.")
    var repairSeconds = 3_600.0
    @Option(name: .customLong("re-replication-seconds"), help: "Time from a node declared dead to its volumes back at R, when none is recorded (else repair times are used).")
    var reReplicationSeconds = 86_400.0

    var assumptions: Assumptions {
        var a = Assumptions()
        a.failuresPerYear = diskAFR
        a.latentErrorsPerYear = latentErrorRate
        a.nodeLossDetectSeconds = nodeLossDetectSeconds
        a.scrubPeriodSeconds = scrubPeriodSeconds
        a.repairSeconds = repairSeconds
        a.reReplicationSeconds = reReplicationSeconds
        return a
    }

    func validate() throws {
        let problems = assumptions.problems
        guard problems.isEmpty else { throw ValidationError(problems.joined(separator: "; ")) }
    }

    func run() async throws {
        let file = try cluster.load()
        let drt = try drtReport.map(Self.loadDRT)
        var zones: [ZoneDurability] = []
        let chosen = try cluster.zone.map { [try file.zone($0)] } ?? file.zones  // --zone: that zone alone
        for zone in chosen {
            let c: PostgresConnection
            do { c = try await PostgresConnection.connect(url: zone.database) } catch {
                throw CLIError("cannot reach \(zone.name)'s block index (\(error)); is the cluster up? (`vigil dev up`)")
            }
            var m = try await Self.measure(c)
            m.deadAfterSeconds = Self.deadAfterSeconds(file, zone: zone.name)
            do { zones.append(try ZoneDurability.assemble(zone: zone.name, m, drt: drt, assuming: assumptions)) } catch let e as DurabilityError {
                throw CLIError(e.description)
            }
        }
        let report = DurabilityReport(zones: zones)
        if json { try printJSON(report) } else { print(report.text) }
    }

    static func loadDRT(_ path: String) throws -> DRTTimes {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read the DRT report \(path)") }
        do { return try DRTTimes.decode(data) } catch {
            throw CLIError("\(path) is not a `vigil drt --json` report (\(error)); run `vigil drt --json > \(path)`")
        }
    }

    /// The zone master's `--dead-after-seconds`, when the cluster file shows one above 0.
    static func deadAfterSeconds(_ file: ClusterFile, zone: String) -> Double? {
        guard let args = file.processes.first(where: { $0.name == "\(zone)/master" })?.arguments,
              let i = args.firstIndex(of: "--dead-after-seconds"), i + 1 < args.count, let s = Double(args[i + 1]), s > 0 else { return nil }
        return s
    }
}

extension DurabilityCommand {
    /// Reads a zone's configuration and its records: index tables, pass ledger, repair queue, re-replications, watcher.
    static func measure(_ c: PostgresConnection) async throws -> ZoneMeasurements {
        var m = ZoneMeasurements()
        let config = try await c.query("""
            SELECT count(*)::int8, coalesce(min(replication), 3)::int8, coalesce(max(replication), 3)::int8,
                   (SELECT count(*) FROM nodes WHERE state NOT IN ('dead', 'retired'))::int8
            FROM volumes WHERE state <> 'retired'
            """)
        (m.volumes, m.minReplication, m.maxReplication, m.nodes) = (try config.int(0, 0), try config.int(0, 1), try config.int(0, 2), try config.int(0, 3))
        let ledger = LedgerReader(c)
        m.cadences = try await ledger.passCadences(excluding: [.storageWatcher]).map {
            VerifierCadence(verifier: $0.verifier.rawValue, scope: $0.scope.rawValue, completePasses: $0.completePasses,
                            hoursBetweenPasses: $0.secondsBetweenPasses / 3_600)
        }
        (m.repairsDone, m.repairSeconds) = try await ledger.completedRepairs()
        if try await c.query("SELECT to_regclass('rereplications') IS NOT NULL").bool(0, 0) {
            let r = try await c.query("""
                SELECT count(*)::int8, avg(extract(epoch FROM finished_at - node_lost_at))::float8
                FROM rereplications WHERE finished_at IS NOT NULL AND target_node_id IS NOT NULL
                """)
            m.reReplicationsDone = try r.int(0, 0)
            m.reReplicationSeconds = r.isNull(0, 1) ? nil : try r.float64(0, 1)
        }
        if let topology = try await ZoneTopology.load(c) {
            for stage in topology.watcherStages {
                m.watcherStages.append(ZoneMeasurements.Stage(
                    stage: stage, samples: try await ledger.itemsChecked(.storageWatcher, scope: .stage(stage, in: topology.zone)),
                    failures: try await ledger.findingCount(.storageWatcher, subjectPrefix: "stage/\(stage)/block/")))
            }
        }
        return m
    }
}

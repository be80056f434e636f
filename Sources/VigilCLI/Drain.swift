import ArgumentParser
import VigilPostgres

struct Drain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move every replica off a node; the master copies, verifies, repoints, then trashes the old extents.",
        discussion: "Marks the node draining: it takes no new volumes. When nothing is left on it the master marks it retired.")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "The node's id in the zone.") var node: Int
    @Flag(name: .customLong("lift-blast-radius-cap"), help: "A real decommission: lift the master's blast-radius cap for this node (a recorded override row).")
    var liftBlastRadiusCap = false
    @Option(name: .customLong("lift-hours"), help: "How long the lift stays in force (default 48: the drain plus the trash retention).")
    var liftHours = 48.0

    func run() async throws {
        let zone = try cluster.load().zone(cluster.zone)
        let index = BlockIndex(pool: PostgresPool(url: zone.database, size: 1))
        guard let record = try await index.nodes().first(where: { $0.id == node }) else { throw CLIError("no node \(node) in \(zone.name)") }
        if liftBlastRadiusCap {
            try await index.liftBlastRadiusCap(node: record.id, seconds: liftHours * 3600, reason: "vigil drain \(record.id) --lift-blast-radius-cap")
            print("blast-radius cap lifted for \(record.name) for \(liftHours) h")
        }
        try await index.register(NodeRecord(id: record.id, name: record.name, address: record.address, state: "draining"))
        if !liftBlastRadiusCap {
            print("without --lift-blast-radius-cap the master refuses a drain that would trash more than its cap of the node's extents")
        }
        print("\(record.name) is draining; watch `vigil dev status` and the master's log")
    }
}

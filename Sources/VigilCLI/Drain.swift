import ArgumentParser
import VigilPostgres

struct Drain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Move every replica off a node; the master copies, verifies, repoints, then trashes the old extents.",
        discussion: "Marks the node draining: it takes no new volumes. When nothing is left on it the master marks it retired.")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "The node's id in the zone.") var node: Int

    func run() async throws {
        let zone = try cluster.load().zone(cluster.zone)
        let index = BlockIndex(pool: PostgresPool(url: zone.database, size: 1))
        guard let record = try await index.nodes().first(where: { $0.id == node }) else { throw CLIError("no node \(node) in \(zone.name)") }
        try await index.register(NodeRecord(id: record.id, name: record.name, address: record.address, state: "draining"))
        print("\(record.name) is draining; watch `vigil dev status` and the master's log")
    }
}

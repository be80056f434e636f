import ArgumentParser
import VigilPostgres

struct Nodes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register storage nodes in a zone's block index (deployments without `vigil dev`).", subcommands: [Add.self, List.self, Retire.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a node, or update its address (idempotent).")
        @OptionGroup var target: ZoneDatabaseOptions
        @Option(help: "The node's id, unique in the zone.") var id: Int
        @Option(help: "The node's name.") var name: String
        @Option(help: "The node's API base URL, e.g. http://node-1:7100.") var address: String

        func run() async throws {
            let url = try target.url()
            try await BlockIndex(pool: PostgresPool(url: url, size: 1)).register(NodeRecord(id: id, name: name, address: address, state: "up"))
            print("node \(id) \(name) at \(address)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The zone's nodes and their states.")
        @OptionGroup var target: ZoneDatabaseOptions

        func run() async throws {
            let url = try target.url()
            for node in try await BlockIndex(pool: PostgresPool(url: url, size: 1)).nodes() {
                print("\(node.id)\t\(node.name)\t\(node.state)\t\(node.address)")
            }
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Declare a node lost for good (--dead): the master re-creates its replicas on other nodes.",
            discussion: """
                Records the node as dead in the zone's index and lifts the master's blast-radius cap for it \
                (this is the operator's decommission): the master marks its replicas lost, copies each volume \
                from a verified surviving replica to an up node holding none of it (install instructions \
                recorded), and marks the node retired once every volume is back at its replication. A node \
                that is alive is drained instead: vigil drain N.
                """)
        @OptionGroup var zone: ZoneDatabaseOptions
        @Argument(help: "The node's id in the zone.") var node: Int
        @Flag(help: "The node and its data are gone for good (required: a live node is drained, not retired).") var dead = false
        @Option(name: .customLong("lift-hours"), help: "How long the blast-radius lift stays in force (default 48).") var liftHours = 48.0

        func validate() throws {
            guard dead else { throw ValidationError("give --dead for a node lost for good; a node that is alive is drained: vigil drain \(node)") }
            guard liftHours > 0 else { throw ValidationError("--lift-hours must be positive") }
        }

        func run() async throws {
            let index = BlockIndex(pool: PostgresPool(url: try zone.url(), size: 1))
            guard let record = try await index.nodes().first(where: { $0.id == node }) else { throw CLIError("no node \(node) in the zone's index") }
            guard record.state != "retired" else { throw CLIError("\(record.name) is already retired") }
            try await index.liftBlastRadiusCap(node: record.id, seconds: liftHours * 3600, reason: "vigil nodes retire \(record.id) --dead")
            _ = try await index.declareDead(node: record.id, reason: "operator: vigil nodes retire \(record.id) --dead")
            print("\(record.name) (node \(record.id)) is dead; the master re-creates its replicas on other nodes and retires it when done")
        }
    }
}

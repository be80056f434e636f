import ArgumentParser
import VigilPostgres

struct Nodes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register storage nodes in a zone's block index (deployments without `vigil dev`).", subcommands: [Add.self, List.self])

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
}

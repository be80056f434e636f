import ArgumentParser
import VigilCore
import VigilNodeClient
import VigilPostgres

struct Trash: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with extents in nodes' trash.", subcommands: [Restore.self])

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Put a trash extent back into service: recorded as an instruction, moved back by the node, its replica live again.")
        @OptionGroup var cluster: ClusterOptions
        @Option(help: "The node's id in the zone.") var node: Int
        @Option(help: "The volume.") var volume: Int64
        @Option(help: "The extent's generation (default: the volume's replica's).") var generation: Int?

        func run() async throws {
            let file = try cluster.load()
            let zone = try file.zone(cluster.zone)
            let index = BlockIndex(pool: PostgresPool(url: zone.database, size: 1))
            guard let target = zone.nodes.first(where: { $0.id == node }) else { throw CLIError("no node \(node) in \(zone.name)") }
            let replica = try await index.replicas(of: volume).first { $0.node.id == node }
            let gen = generation ?? replica?.generation ?? 1
            let id = try await index.recordInstruction(kind: "restore", node: node, volume: volume, generation: gen, reason: "vigil trash restore")
            try await NodeClient(address: target.address, token: file.tokens.admin).restore(ExtentName(volume: UInt64(volume), generation: UInt32(gen)), instruction: id)
            try await index.markExecuted(id)
            if replica != nil { try await index.setReplicaState(volume: volume, node: node, state: "live") }
            _ = try await index.setVolumeState(volume, from: ["retired"], to: "sealed")
            print("restored v\(volume).g\(gen).extent on \(target.name) (instruction \(id))")
        }
    }
}

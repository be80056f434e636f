import ArgumentParser
import Foundation
import VigilDev

struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a local staging cluster: private Postgres, dev Kafka broker, nodes, frontends, masters.",
        subcommands: [Up.self, Status.self, Down.self, PrometheusConfig.self])

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a local cluster (or restart whatever of it is down) and write DIR/cluster.json.",
            discussion: """
                Starts a private PostgreSQL (one block-index database per zone and a File \
                Journal), the dev Kafka broker, and per zone its nodes (R=3 replicas), \
                frontend and master, all in the dev profile, as background processes logging \
                to DIR/logs/. Running it again on the same DIR restarts what is down. The \
                frontends require bearer tokens: one per role (read, write, delete, admin) is \
                generated into DIR/frontend-<role>.token and recorded in cluster.json, where \
                every other vigil command finds them.
                """)

        @Option(help: "Directory for the cluster's data, logs and cluster.json.") var dir = ".vigil"
        @Option(help: "Number of zones (named zone-a, zone-b, …).") var zones = 2
        @Option(help: "Storage nodes per zone.") var nodes = 4
        @Option(help: "Replicas per volume.") var replication = 3
        @Option(name: .customLong("volume-target-bytes"), help: "Seal volumes at this size.") var volumeTargetBytes = 4 << 20

        func validate() throws {
            guard (1...26).contains(zones) else { throw ValidationError("--zones must be 1 to 26") }
            guard nodes >= replication, replication >= 1 else { throw ValidationError("need at least --replication nodes per zone") }
        }

        func run() async throws {
            var options = DevClusterOptions(directory: dir)
            options.zones = (0..<zones).map { "zone-\(Character(UnicodeScalar(UInt8(97 + $0))))" }
            options.nodesPerZone = nodes
            options.replication = replication
            options.volumeTargetBytes = volumeTargetBytes
            let cluster = try await DevCluster.up(options)
            printStatus(cluster)
            print("\ncluster file: \(DevCluster.clusterPath(cluster.directory))  (other commands take --dir \(dir) or --cluster FILE; .vigil is the default)")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each process of the local cluster: running, healthy, endpoints.")
        @OptionGroup var cluster: ClusterLocation

        func run() async throws {
            let file = try cluster.load()
            printStatus(file)
            var down = 0
            for process in file.processes where !Processes.isAlive(process.pid) { down += 1 }
            if down > 0 { throw ExitCode(1) }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop every process of the local cluster and its database.")
        @OptionGroup var cluster: ClusterLocation
        @Flag(help: "Also delete the cluster's directory and all its data.") var purge = false

        func run() async throws {
            let file = try cluster.load()
            try await DevCluster.down(file, purge: purge)
            print("stopped \(file.processes.count) processes and PostgreSQL\(purge ? "; deleted \(file.directory)" : "")")
        }
    }
}

func printStatus(_ cluster: ClusterFile) {
    print("postgres   \(cluster.postgres.url)")
    print("kafka      \(cluster.kafka)")
    for zone in cluster.zones {
        print("\(zone.name): frontend \(zone.frontend)  master \(zone.master)/metrics  database \(zone.database)")
    }
    if let tokens = cluster.frontendTokens {
        print("frontend tokens: \(tokens.readFile), \(tokens.writeFile), \(tokens.deleteFile), \(tokens.adminFile)  (vigil commands send them from the cluster file)")
    }
    print("")
    for process in cluster.processes {
        let state = Processes.isAlive(process.pid) ? "running" : "DOWN"
        let metrics = process.health.map { $0.replacingOccurrences(of: "/healthz", with: "/metrics") } ?? "-"
        print("\(process.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(state.padding(toLength: 8, withPad: " ", startingAt: 0)) pid \(String(process.pid).padding(toLength: 8, withPad: " ", startingAt: 0)) \(metrics)")
    }
}

import ArgumentParser
import Foundation
import VigilKafka

@main
struct DevBroker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil-dev-broker",
        abstract: "Serve librdkafka's mock Kafka cluster on loopback, for tests and the local cluster.",
        discussion: """
            Prints `bootstrap: HOST:PORT` on standard output once the brokers listen, \
            writes the same address to --bootstrap-file if given, and serves until \
            SIGTERM or SIGINT. SIGUSR1 restarts the brokers (down for --restart-ms, then up) keeping their data. Messages live in memory only. Production uses a real Kafka.
            """)

    @Option(help: "Number of mock brokers.")
    var brokers = 1

    @Option(name: .customLong("topic"), help: "A topic to create, as NAME or NAME:PARTITIONS (default 16 partitions). Repeatable.")
    var topics: [String] = []

    @Option(help: "Write the bootstrap address to this file.")
    var bootstrapFile: String?

    @Option(name: .customLong("restart-ms"), help: "How long brokers stay down on SIGUSR1.")
    var restartMs = 2000

    func run() throws {
        let cluster = try KafkaMockCluster(brokers: brokers)
        for spec in topics {
            let parts = spec.split(separator: ":", maxSplits: 1)
            guard let name = parts.first, !name.isEmpty, parts.count == 1 || Int(parts[1]) != nil else {
                throw ValidationError("--topic takes NAME or NAME:PARTITIONS, got '\(spec)'")
            }
            try cluster.createTopic(String(name), partitions: parts.count == 2 ? Int(parts[1])! : 16)
        }
        if let bootstrapFile {
            try (cluster.bootstrapServers + "\n").write(toFile: bootstrapFile, atomically: true, encoding: .utf8)
        }
        print("bootstrap: \(cluster.bootstrapServers)")
        fflush(nil)
        // SIGUSR1 restarts the brokers (down, then up after --restart-ms), keeping
        // their data, as a real Kafka broker restart would.
        while waitForSignal() == SIGUSR1 {
            for id in 1...Int32(brokers) { try cluster.setBroker(id, up: false) }
            print("brokers down"); fflush(nil)
            usleep(UInt32(restartMs) * 1000)
            for id in 1...Int32(brokers) { try cluster.setBroker(id, up: true) }
            print("brokers up"); fflush(nil)
        }
        withExtendedLifetime(cluster) {}
    }
}

/// Blocks until SIGTERM, SIGINT or SIGUSR1 arrives; returns which.
func waitForSignal() -> Int32 {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGTERM)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGUSR1)
    pthread_sigmask(SIG_BLOCK, &signals, nil)
    var received: Int32 = 0
    sigwait(&signals, &received)
    return received
}

import Foundation
import VigilPostgres

extension DevCluster {
    /// Starts the database and every process of an existing cluster that is not running.
    static func restartWhatIsDown(_ cluster: inout ClusterFile, log: (String) -> Void) async throws {
        if !postgres(of: cluster).isRunning {
            log("postgres: restarting")
            try startPostgres(of: cluster)
        }
        var brokerRestarted = false
        for i in cluster.processes.indices where !Processes.isAlive(cluster.processes[i].pid) {
            if cluster.processes[i].name == "kafka-broker" {
                try? FileManager.default.removeItem(atPath: cluster.directory + "/kafka.bootstrap")
                brokerRestarted = true
            }
            try restart(&cluster.processes[i], log: log)
        }
        if brokerRestarted {
            // The mock broker listens on a new port: point the frontends at it.
            let bootstrap = try await waitForFile(cluster.directory + "/kafka.bootstrap", timeout: .seconds(30))
            for i in cluster.processes.indices {
                guard let at = cluster.processes[i].arguments.firstIndex(of: "--kafka"), cluster.processes[i].arguments[at + 1] != bootstrap else { continue }
                cluster.processes[i].arguments[at + 1] = bootstrap
                await Processes.terminate(cluster.processes[i].pid)
                try restart(&cluster.processes[i], log: log)
            }
            cluster.kafka = bootstrap
        }
        try await waitUntilHealthy(cluster)
    }

    /// Restarts the cluster's PostgreSQL. `immediate` stops it as a crash would
    /// (`pg_ctl stop -m immediate`: no shutdown checkpoint, every backend killed),
    /// so the start runs crash recovery from the WAL; otherwise a fast shutdown.
    public static func restartPostgres(_ cluster: ClusterFile, immediate: Bool) throws {
        try postgres(of: cluster).stop(immediate: immediate)
        try startPostgres(of: cluster)
    }

    static func postgres(of cluster: ClusterFile) -> PrivatePostgres {
        PrivatePostgres(directory: URL(fileURLWithPath: cluster.postgres.directory), port: cluster.postgres.port)
    }

    /// Starts the cluster's existing PostgreSQL (its data directory, its port).
    static func startPostgres(of cluster: ClusterFile) throws {
        _ = try PrivatePostgres.start(in: URL(fileURLWithPath: cluster.postgres.directory), port: cluster.postgres.port)
    }

    /// Starts one recorded process again with the same arguments.
    public static func restart(_ process: inout ClusterFile.Process, log: (String) -> Void = { _ in }) throws {
        log("\(process.name): starting")
        process.pid = try Processes.spawn(process.arguments, log: process.log)
    }

    /// Restarts the dev Kafka brokers in place (down, then up), keeping their data.
    public static func restartBroker(_ cluster: ClusterFile) {
        if let broker = cluster.processes.first(where: { $0.name == "kafka-broker" }) { kill(broker.pid, SIGUSR1) }
    }

    /// Kills a process with SIGKILL (for fault injection and tests).
    public static func kill9(_ process: ClusterFile.Process) {
        kill(process.pid, SIGKILL)
        Processes.reap(process.pid)
    }
}

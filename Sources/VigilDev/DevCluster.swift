import AsyncHTTPClient
import Foundation
import VigilCore
import VigilPostgres

/// A whole local staging cluster: a private PostgreSQL, the dev Kafka broker,
/// and per zone its nodes, frontend and master, each a detached process.
/// `up` is idempotent: on an existing cluster it restarts what is down.
public enum DevCluster {
    /// Partitions of each zone's sample topic, `vigil.samples.<zone>`.
    public static let samplePartitions = 16

    public static func clusterPath(_ directory: String) -> String { "\(directory)/cluster.json" }

    @discardableResult
    public static func up(_ options: DevClusterOptions, log: (String) -> Void = { print($0) }) async throws -> ClusterFile {
        let directory = URL(fileURLWithPath: options.directory).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: directory + "/logs", withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: clusterPath(directory)) {
            var cluster = try ClusterFile.load(clusterPath(directory))
            try await restartWhatIsDown(&cluster, log: log)
            try cluster.save(clusterPath(directory))
            return cluster
        }
        var layout = try Layout(options: options, directory: directory)
        log("postgres: starting in \(directory)/postgres")
        let postgres = try PrivatePostgres.start(in: URL(fileURLWithPath: directory + "/postgres"), port: layout.postgresPort)
        for zone in options.zones {
            let name = Layout.databaseName(zone)
            try await postgres.createDatabase(name)
            let index = try await PostgresConnection.connect(url: postgres.url(database: name))
            try await Migrator(set: .blockIndex).migrate(index)
            try await ZoneTopology(zone: zone, profile: options.verifierProfile).save(index)
        }
        try await postgres.createDatabase("journal")
        try await Migrator(set: .fileJournal).migrate(try await PostgresConnection.connect(url: postgres.url(database: "journal")))
        // The migrations made the component roles: each daemon logs in as its own (`Layout`).
        try await postgres.setRolePasswords()

        log("kafka: starting the dev broker")
        let broker = try layout.startBroker()
        let bootstrap = try await waitForFile(layout.bootstrapFile, timeout: .seconds(30))
        var processes = [broker]
        var zones: [ClusterFile.Zone] = []
        for zone in options.zones {
            let database = postgres.url(database: Layout.databaseName(zone))
            let (z, started) = try await layout.startZone(zone, database: database, journal: postgres.url(database: "journal"), kafka: bootstrap)
            zones.append(z)
            processes += started
            log("\(zone): \(z.nodes.count) nodes, frontend \(z.frontend), master \(z.master)")
        }
        if options.verifiers {
            processes.append(try layout.crossZoneVerifier(journal: postgres.url(database: "journal"), zones: zones))
        }
        let cluster = ClusterFile(
            directory: directory, profile: "dev",
            postgres: .init(directory: postgres.directory.path, port: postgres.port, url: postgres.url(), passfile: postgres.passfile.path),
            kafka: bootstrap, journalDatabase: postgres.url(database: "journal"),
            tokens: layout.tokens, frontendTokens: layout.frontendTokens, sampleKey: layout.sampleKey, zones: zones, processes: processes)
        try cluster.save(clusterPath(directory))
        try await waitUntilHealthy(cluster)
        return cluster
    }

    /// Stops every process and the database; the data stays unless `purge`.
    public static func down(_ cluster: ClusterFile, purge: Bool = false) async throws {
        for process in cluster.processes.reversed() { await Processes.terminate(process.pid) }
        let postgres = PrivatePostgres(directory: URL(fileURLWithPath: cluster.postgres.directory), port: cluster.postgres.port)
        if postgres.isRunning { try postgres.stop() }
        // Daemons restarted under new pids (by a test, an operator, `dev up`) log
        // into the cluster's directory too: none outlives the cluster.
        await Processes.terminateAll(under: cluster.directory)
        if purge { try FileManager.default.removeItem(atPath: cluster.directory) }
    }

    /// Waits until every process answers its health check.
    public static func waitUntilHealthy(_ cluster: ClusterFile, timeout: Duration = .seconds(60)) async throws {
        for process in cluster.processes {
            guard let health = process.health else { continue }
            let deadline = ContinuousClock.now + timeout
            while !(await isHealthy(health)) {
                guard Processes.isAlive(process.pid) else {
                    throw DevClusterError("\(process.name) exited; see \(process.log)")
                }
                guard ContinuousClock.now < deadline else { throw DevClusterError("\(process.name) not healthy after \(timeout); see \(process.log)") }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    public static func isHealthy(_ url: String) async -> Bool {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        guard let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)) else { return false }
        return response.status == .ok
    }

    static func waitForFile(_ path: String, timeout: Duration) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), !text.isEmpty {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw DevClusterError("\(path) did not appear within \(timeout)")
    }
}

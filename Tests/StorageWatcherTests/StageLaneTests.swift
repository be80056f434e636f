import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ServiceLifecycle
import Testing
import VigilCore
import VigilKafka
import VigilPostgres
import VigilStorageWatcher
import VigilTestSupport

/// Each stage is a lane of the watcher's bookkeeping: a stage whose rounds
/// fail shows on `/healthz` with its name and the reason and recovers by
/// itself; shutdown stops every stage promptly and is no failure.
@Suite("Storage watcher stages as lanes", .serialized)
struct StageLaneTests {
    @Test("stages whose rounds fail (the findings database down) are unhealthy on /healthz naming the stage and the reason, healthy again when it returns; graceful shutdown stops every stage within the deadline",
          .timeLimit(.minutes(4)))
    func failingStagesShowAndRecover() async throws {
        let directory = try makeTemporaryDirectory("vigil-lane-pg")
        defer { try? FileManager.default.removeItem(at: directory) }
        var database = try PrivatePostgres.start(in: directory, fast: true)
        defer { try? database.stop(immediate: true) }
        try await database.createDatabase("ledger")
        try await Migrator(set: .blockIndex).migrate(try await PostgresConnection.connect(url: database.url(database: "ledger")))

        let kafka = try KafkaMockCluster()
        var config = StorageWatcherConfig(
            zone: "zone-t", kafkaBootstrap: kafka.bootstrapServers, frontendURL: "http://127.0.0.1:1", databaseURL: database.url(database: "ledger"))
        try kafka.createTopic(config.topic, partitions: 2)
        config.stages = try #require(StorageWatcherConfig.parseStages("1s,5s"))
        config.window = .milliseconds(500)  // every round rolls its window: each one writes to the database
        config.acceptUnauthenticatedSamples = true
        config.port = try freeLoopbackPort()
        let healthz = "http://127.0.0.1:\(config.port)/healthz"
        let group = ServiceGroup(services: buildStorageWatcher(config: config, registry: nil, logger: Logger(label: "stage-lane-test")), logger: Logger(label: "stage-lane-test"))
        let running = Task { try await group.run() }

        #expect(await eventually(timeout: .seconds(60)) { await WatcherFaultTests.get(healthz)?.0 == 200 }, "healthy while the database answers")
        try database.stop(immediate: true)
        var unhealthy: String?
        #expect(await eventually(timeout: .seconds(60)) {
            guard let (status, body) = await WatcherFaultTests.get(healthz), status == 503,
                  body.contains("stage 1s"), body.contains("stage 5s"), body.contains("postgres") else { return false }
            unhealthy = body
            return true
        }, "each stage names itself and the failure")
        #expect(unhealthy?.contains("retrying") == true, "a connection refused is retriable: \(unhealthy ?? "")")

        database = try PrivatePostgres.start(in: directory, port: database.port, fast: true)
        #expect(await eventually(timeout: .seconds(60)) { await WatcherFaultTests.get(healthz)?.0 == 200 }, "healthy again by itself")

        let stopAsked = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running.value
        // The daemons' graceful deadline (`ShutdownDeadline`): past it the stages would be cancelled, not stopped.
        // Most of the time is the consumers leaving their groups.
        #expect(ContinuousClock.now - stopAsked < .seconds(20), "every stage stopped within the 20 s deadline")
        #expect(await WatcherFaultTests.get(healthz) == nil, "nothing answers after shutdown")
        let db = try await PostgresConnection.connect(url: database.url(database: "ledger"))
        let findings = try await db.query("SELECT count(*)::int8 FROM findings WHERE verifier = 'storage-watcher'").int64(0, 0)
        #expect(findings == 0, "a stopped stage and a database outage are no findings")
    }
}

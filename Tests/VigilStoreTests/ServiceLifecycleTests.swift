import Foundation
import Logging
import ServiceLifecycle
import Testing
import VigilKafka
import VigilPostgres
import VigilTelemetry
import VigilTestSupport

/// The Kafka producer and the Postgres pool as daemon services: they report
/// their own health, and graceful shutdown ends them cleanly (the producer
/// delivers what it buffered, the pool closes its connections).
@Suite("Service lifecycle", .serialized)
struct ServiceLifecycleTests {
    let logger = Logger(label: "test")

    @Test("a producer whose brokers go down reports degraded with samples buffered, and healthy once they are delivered", .timeLimit(.minutes(2)))
    func producerReportsUnreachableKafka() async throws {
        let kafka = try KafkaMockCluster(brokers: 1)
        try kafka.createTopic("t")
        let producer = try KafkaProducer(settings: ["bootstrap.servers": kafka.bootstrapServers, "log_level": "0", "message.timeout.ms": "120000"])
        try await producer.send(topic: "t", key: [1], value: [1])
        #expect(producer.problem == nil, "a delivering producer is healthy")

        try kafka.setBroker(1, up: false)
        for i in 0..<20 { try producer.produce(topic: "t", key: [UInt8(i)], value: [UInt8(i)]) }
        var problem: String?
        #expect(await eventually(timeout: .seconds(30)) {
            problem = producer.problem
            return problem != nil
        }, "the producer never said the brokers are down")
        #expect(problem?.contains("Kafka unreachable") == true && problem?.contains("messages buffered") == true, "\(problem ?? "-")")

        try kafka.setBroker(1, up: true)
        #expect(await eventually(timeout: .seconds(60)) { producer.problem == nil && producer.inFlight == 0 }, "\(producer.problem ?? "-")")
        #expect(producer.delivered == 21 && producer.failed == 0)
    }

    @Test("at graceful shutdown the producer delivers what it buffered before the group ends", .timeLimit(.minutes(2)))
    func producerFlushesAtShutdown() async throws {
        let kafka = try KafkaMockCluster(brokers: 1)
        try kafka.createTopic("t")
        // A long linger: without the flush the messages would still sit in the buffer.
        let producer = try KafkaProducer(settings: ["bootstrap.servers": kafka.bootstrapServers, "linger.ms": "60000", "log_level": "0"])
        let group = ServiceGroup(services: [producer], logger: logger)
        let running = Task { try await group.run() }
        for i in 0..<50 { try producer.produce(topic: "t", key: [UInt8(i)], value: [UInt8(i)]) }
        #expect(producer.delivered == 0)
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(producer.delivered == 50 && producer.inFlight == 0, "delivered \(producer.delivered), waiting \(producer.inFlight)")
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("a pool in a service group closes its connections at graceful shutdown; a lease afterwards fails with pool_closed", .timeLimit(.minutes(2)))
    func poolClosesAtShutdown() async throws {
        try await TestPostgres.shared.withDatabase { url in
            let watcher = try await PostgresConnection.connect(url: url)
            let others = { () async throws -> Int in
                try await watcher.query("SELECT count(*)::int8 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()").int(0, 0)
            }
            let pool = PostgresPool(url: url, size: 3)
            let group = ServiceGroup(services: [pool], logger: logger)
            let running = Task { try await group.run() }
            // Three leases at once: three connections.
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for _ in 0..<3 { tasks.addTask { try await pool.withConnection { _ = try await $0.query("SELECT pg_sleep(0.3)") } } }
                try await tasks.waitForAll()
            }
            #expect(try await others() == 3)

            await group.triggerGracefulShutdown()
            try await running.value
            #expect(try await eventually(timeout: .seconds(10)) { try await others() == 0 }, "the pool's connections stay open")
            do {
                try await pool.ping()
                Issue.record("a closed pool leased a connection")
            } catch let error as PostgresError {
                #expect(error.code == .poolClosed, "\(error)")
            }
        }
    }

    @Test("a periodic service whose round hangs is reported overdue, and healthy again once a round finishes", .timeLimit(.minutes(1)))
    func hungRoundIsOverdue() async throws {
        let board = HealthBoard()
        let release = AsyncStream<Void>.makeStream()
        let service = PeriodicService(name: "rounds", every: .milliseconds(10), health: board, overdueAfter: .milliseconds(300), logger: logger) {
            for await _ in release.stream { return }
        }
        let group = ServiceGroup(services: [service], logger: logger)
        let running = Task { try await group.run() }
        #expect(board.summary().healthy, "a round under way, not yet late")
        #expect(await eventually(timeout: .seconds(10)) { board.summary().detail.hasPrefix("rounds: overdue") }, "\(board.summary().detail)")
        #expect(!board.summary().healthy)
        release.continuation.yield()
        #expect(await eventually(timeout: .seconds(10)) { board.summary().healthy }, "\(board.summary().detail)")
        release.continuation.finish()
        await group.triggerGracefulShutdown()
        try await running.value
    }
}

import Logging
import ServiceLifecycle
import Synchronization
import Testing
import VigilDaemon
import VigilTelemetry

/// The daemon kit's services: the periodic loop, health the services report,
/// and the shutdown deadline.
@Suite(.timeLimit(.minutes(1))) struct DaemonServicesTests {
    let logger = Logger(label: "test")

    /// Waits until `condition` holds, at most `limit`.
    func eventually(within limit: Duration = .seconds(10), _ condition: () -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    @Test("a periodic service repeats its round, reports a failing round unhealthy and recovers, and stops at graceful shutdown")
    func periodicServiceReportsItsHealth() async throws {
        let rounds = Atomic<Int>(0)
        let failing = Atomic<Bool>(false)
        let health = HealthBoard()
        let service = PeriodicService(name: "disk_watch", every: .milliseconds(10), health: health, logger: logger) {
            rounds.add(1, ordering: .relaxed)
            if failing.load(ordering: .relaxed) { throw SettingsError(.unreadableFile, "cannot list /srv/data") }
        }
        let group = daemonServiceGroup([service], onSignals: false, logger: logger)
        let running = Task { try await group.run() }
        #expect(try await eventually { rounds.load(ordering: .relaxed) >= 3 && health.summary().healthy })
        failing.store(true, ordering: .relaxed)
        #expect(try await eventually { !health.summary().healthy })
        #expect(health.summary().detail == "disk_watch: cannot list /srv/data")
        failing.store(false, ordering: .relaxed)
        #expect(try await eventually { health.summary().healthy }, "the next good round makes it healthy again")

        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(ContinuousClock.now - started < .seconds(2), "the wait between rounds ends at graceful shutdown")
        let after = rounds.load(ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(50))
        #expect(rounds.load(ordering: .relaxed) == after, "no round after shutdown")
    }

    @Test("the health board names every unhealthy component and is healthy when all are")
    func healthBoardSums() {
        let board = HealthBoard()
        #expect(board.summary().healthy, "nothing reported: healthy")
        board.report("pool", HealthReport(healthy: false, detail: "database unreachable"))
        board.report("disk_watch", .ok)
        board.report("kafka", HealthReport(healthy: false, detail: "broker down"))
        #expect(board.summary().healthy == false)
        #expect(board.summary().detail == "kafka: broker down; pool: database unreachable")
        board.report("pool", .ok)
        board.report("kafka", .ok)
        #expect(board.summary().healthy)
    }

    /// A service that never notices graceful shutdown (only cancellation).
    struct Stubborn: Service {
        func run() async throws { try await Task.sleep(for: .seconds(3600)) }
    }

    @Test("a service that ignores graceful shutdown is cancelled at the deadline; the daemon does not hang")
    func shutdownDeadline() async throws {
        var deadline = ShutdownDeadline()
        deadline.graceful = .milliseconds(300)
        deadline.afterCancellation = .milliseconds(300)
        let group = daemonServiceGroup([Stubborn()], onSignals: false, deadline: deadline, logger: logger)
        let running = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(100))
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        _ = await running.result
        let took = ContinuousClock.now - started
        #expect(took >= .milliseconds(250) && took < .seconds(5), "ended by the deadline, after \(took)")
    }

    @Test("a shutdown action runs once graceful shutdown begins, not before")
    func shutdownActionRunsAtShutdown() async throws {
        let flushed = Atomic<Int>(0)
        let group = daemonServiceGroup([ShutdownAction { flushed.add(1, ordering: .relaxed) }], onSignals: false, logger: logger)
        let running = Task { try await group.run() }
        try await Task.sleep(for: .milliseconds(100))
        #expect(flushed.load(ordering: .relaxed) == 0)
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(flushed.load(ordering: .relaxed) == 1)
    }
}

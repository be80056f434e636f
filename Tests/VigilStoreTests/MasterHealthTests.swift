import Foundation
import Testing
import VigilDev
import VigilPostgres
import VigilTestSupport

/// The master's `/healthz` is what its services say: the database check and
/// the rounds. A database outage shows with its reason and clears when the
/// database is back; SIGTERM ends every loop within the shutdown deadline.
@Suite("Master health", .serialized)
struct MasterHealthTests {
    @Test("the master's /healthz turns 503 naming the database and the failed rounds while its database is down, and ok again when it is back", .timeLimit(.minutes(5)))
    func databaseOutage() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let master = cluster.zones[0].master
            var health = await Healthz.of(master)
            #expect(await eventually(timeout: .seconds(30)) {
                health = await Healthz.of(master)
                return health == .ok
            }, "a healthy master says ok: \(health)")

            let directory = URL(fileURLWithPath: cluster.postgres.directory)
            try PrivatePostgres(directory: directory, port: cluster.postgres.port).stop(immediate: true)
            #expect(await eventually(timeout: .seconds(60)) {
                health = await Healthz.of(master)
                return health.status == 503 && health.text.contains("database: ") && health.text.contains("rounds: ")
            }, "\(health)")
            #expect(!health.text.contains("overdue"), "a failing round is not a late one: \(health)")

            _ = try PrivatePostgres.start(in: directory, port: cluster.postgres.port)
            #expect(await eventually(timeout: .seconds(60)) {
                health = await Healthz.of(master)
                return health == .ok
            }, "the master recovers by itself: \(health)")
        }
    }

    @Test("SIGTERM: the master stops its rounds, database check and pool and exits 0 within the 20 s deadline", .timeLimit(.minutes(4)))
    func sigtermEndsEveryLoop() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<50 { _ = try await frontend.put(randomBlock(1024...4096)) }
            let master = cluster.process(named: "zone-a/master")
            #expect(await eventually(timeout: .seconds(30)) { await Healthz.of(cluster.zones[0].master) == .ok })

            let started = ContinuousClock.now
            kill(master.pid, SIGTERM)
            var status: Int32 = 0
            #expect(await eventually(timeout: .seconds(30), interval: .milliseconds(20)) { waitpid(master.pid, &status, WNOHANG) == master.pid },
                    "the master is still running 30 s after SIGTERM")
            let took = ContinuousClock.now - started
            #expect(took < .seconds(21), "shut down in \(took)")
            #expect(status & 0x7f == 0 && (status >> 8) & 0xff == 0, "exited normally with 0 (wait status \(status))")
            #expect(!Processes.writingUnder(cluster.directory).contains(master.pid))
            #expect(await Healthz.of(cluster.zones[0].master).status == 0, "nothing answers on the master's port")
        }
    }
}

import Foundation
import Logging
import ServiceLifecycle
import Testing
import VigilCore
import VigilPostgres
import VigilTestSupport
@testable import VigilExtentReferee

/// The referee's lanes under its bookkeeping: judgments that cannot reach the
/// index show on health with the reason and clear once one goes through;
/// graceful shutdown stops the watch and its inotify thread, and is no failure.
@Suite("Extent referee: lanes", .serialized)
struct RefereeLaneTests {
    /// inotify descriptors open in this process: the watch's reader thread
    /// holds its descriptor until the thread ends.
    static func inotifyDescriptors() -> Int {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)")) == "anon_inode:inotify" }.count
    }

    @Test("a judgment the index cannot answer makes the referee unhealthy with the reason, healthy again once one goes through; shutdown stops every lane and the inotify thread",
          .timeLimit(.minutes(3)))
    func judgmentsFailShowAndRecoverAndShutdownStopsAll() async throws {
        let pgDirectory = try makeTemporaryDirectory("vigil-referee-pg")
        let dataDirectory = try makeTemporaryDirectory("vigil-referee-data")
        defer { for d in [pgDirectory, dataDirectory] { try? FileManager.default.removeItem(at: d) } }
        var database = try PrivatePostgres.start(in: pgDirectory, fast: true)
        defer { try? database.stop(immediate: true) }
        try await database.createDatabase("index")
        let url = database.url(database: "index")
        try await Migrator(set: .blockIndex).migrate(try await PostgresConnection.connect(url: url))

        let descriptorsBefore = Self.inotifyDescriptors()
        let referee = ExtentReferee(config: ExtentRefereeConfig(zone: "zone-t", nodeID: 1, dataDirectory: dataDirectory.path, databaseURL: url), logger: Logger(label: "referee-lane-test"))
        let group = ServiceGroup(services: [referee], logger: Logger(label: "referee-lane-test"))
        let running = Task { try await group.run() }
        #expect(await eventually { referee.health().healthy && Self.inotifyDescriptors() == descriptorsBefore + 1 }, "watching after its first reconcile: \(referee.health().detail); \(Self.inotifyDescriptors()) inotify descriptors")

        try database.stop(immediate: true)
        let extents = dataDirectory.appendingPathComponent("extents").path, trash = dataDirectory.appendingPathComponent("trash").path
        try Data([1]).write(to: URL(fileURLWithPath: "\(trash)/v7.g1.extent"))  // in trash/ by hand: to judge
        try FileManager.default.moveItem(atPath: "\(trash)/v7.g1.extent", toPath: "\(extents)/v7.g1.extent")
        #expect(await eventually(timeout: .seconds(60)) {
            let health = referee.health()
            return !health.healthy && health.detail.contains("events") && health.detail.contains("postgres")
        }, "the failed judgment, by lane and reason: \(referee.health().detail)")
        #expect(referee.book.failures(lane: "events")[.permanent] == nil, "an unreachable index is retriable")

        database = try PrivatePostgres.start(in: pgDirectory, port: database.port, fast: true)
        try FileManager.default.moveItem(atPath: "\(extents)/v7.g1.extent", toPath: "\(trash)/v7.g1.extent")
        #expect(await eventually(timeout: .seconds(60)) { referee.health().healthy }, "a judgment went through: \(referee.health().detail)")

        let failures = referee.book.failures(lane: "events")
        let stopAsked = ContinuousClock.now
        await group.triggerGracefulShutdown()
        try await running.value
        #expect(ContinuousClock.now - stopAsked < .seconds(5), "every lane stopped well within the 20 s deadline")
        #expect(await eventually(timeout: .seconds(5)) { Self.inotifyDescriptors() == descriptorsBefore }, "the inotify reader ended and closed its descriptor")
        #expect(referee.book.failures(lane: "events") == failures && referee.book.failures(lane: "watch").isEmpty, "stopping is no failure")
    }
}

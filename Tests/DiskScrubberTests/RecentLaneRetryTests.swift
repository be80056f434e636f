import Foundation
import Logging
import Testing
import VigilCore
import VigilPostgres
import VigilTestSupport
import VigilVerifier
@testable import VigilDiskScrubber

/// The recent-extent lane under an outage of the index: the failed rounds are
/// retried (retriable, shown on health), and extents damaged during the outage
/// are scanned once it ends even though they left the recent window meanwhile.
@Suite("Disk scrubber: the recent lane through an outage", .serialized)
struct RecentLaneRetryTests {
    /// A sealed extent of one random block at `path`, with a data byte flipped.
    static func damagedExtent(volume: UInt64, in dataDirectory: URL) throws -> String {
        let name = ExtentName(volume: volume, generation: 1)
        let path = dataDirectory.appendingPathComponent("extents/\(name)").path
        let header = ExtentHeader(volume: volume, generation: 1, createdAtMicros: Int64(Date().timeIntervalSince1970 * 1e6))
        let writer = try ExtentWriter.create(path: path, header: header)
        let data = randomBlock(4096...4096)
        _ = try writer.append(key: BlockKey.of(data), data: data, writtenAtMicros: header.createdAtMicros)
        try writer.seal()
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count / 2] ^= 0x08
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return "node/1/extents/\(name)"
    }

    static func openFinding(_ url: String, _ subject: String) async throws -> Bool {
        let db = try await PostgresConnection.connect(url: url)
        return try await db.query(
            "SELECT count(*)::int8 FROM findings WHERE verifier = 'disk-scrubber' AND subject = $1 AND resolved_at IS NULL", [.text(subject)]).int64(0, 0) > 0
    }

    @Test("rounds failing while the index is down are retried as retriable and shown on health; extents damaged meanwhile are found once it is back, though older than the window",
          .timeLimit(.minutes(3)))
    func outageIsRetriedAndNothingSkipped() async throws {
        let pgDirectory = try makeTemporaryDirectory("vigil-recent-pg")
        let dataDirectory = try makeTemporaryDirectory("vigil-recent-data")
        defer { for d in [pgDirectory, dataDirectory] { try? FileManager.default.removeItem(at: d) } }
        for location in ["extents", "trash"] {
            try FileManager.default.createDirectory(at: dataDirectory.appendingPathComponent(location), withIntermediateDirectories: true)
        }
        var database = try PrivatePostgres.start(in: pgDirectory, fast: true)
        defer { try? database.stop(immediate: true) }
        try await database.createDatabase("index")
        let url = database.url(database: "index")
        try await Migrator(set: .blockIndex).migrate(try await PostgresConnection.connect(url: url))

        var config = DiskScrubberConfig(zone: "zone-t", nodeID: 1, dataDirectory: dataDirectory.path, databaseURL: url)
        config.recentWindow = .seconds(2)
        config.recentInterval = .milliseconds(200)
        let pool = PostgresPool(url: url, size: 2)
        let book = VerifierBookkeeping(
            ledger: VerifierLedger(pool: pool, verifier: "disk-scrubber", scope: config.scope),
            retry: RetryBackoff(first: .milliseconds(200), longest: .seconds(1), afterPermanent: .seconds(1)), logger: Logger(label: "recent-lane-test"))
        let lanes = DiskScrubber(config: config, pool: pool)
            .lanes(book: book, limiter: SharedRateLimiter(rate: nil), settings: .init(passInterval: .seconds(1)))
        let lane = Task { try await lanes.recent.run() }
        defer { lane.cancel() }

        let before = try Self.damagedExtent(volume: 1, in: dataDirectory)
        #expect(await eventually { (try? await Self.openFinding(url, before)) == true }, "the lane works before the outage")

        try database.stop(immediate: true)
        let during = [try Self.damagedExtent(volume: 2, in: dataDirectory), try Self.damagedExtent(volume: 3, in: dataDirectory)]
        let writtenAt = ContinuousClock.now
        #expect(await eventually { (book.failures(lane: "recent")[.retriable] ?? 0) >= 2 }, "failed rounds are retried")
        #expect(!book.health().healthy && book.health().detail.contains("postgres"), "\(book.health().detail)")
        // The outage outlasts the window: the damaged extents are no longer "recent" by the clock.
        #expect(await eventually { ContinuousClock.now - writtenAt > .seconds(4) })

        database = try PrivatePostgres.start(in: pgDirectory, port: database.port, fast: true)
        for subject in during {
            #expect(await eventually { (try? await Self.openFinding(url, subject)) == true }, "\(subject) scanned after the outage, not skipped")
        }
        #expect(await eventually { book.health().healthy }, "\(book.health().detail)")
        #expect(book.failures(lane: "recent")[.permanent] == nil, "an unreachable index is retriable")
        lane.cancel()
        try await lane.value
    }
}

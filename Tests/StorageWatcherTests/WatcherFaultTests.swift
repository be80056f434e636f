import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilKafka
import VigilPostgres
import VigilTestSupport

/// The watcher under faults: the frontend down while samples fall due (and
/// the watcher killed meanwhile), malformed and far-future messages.
@Suite("Storage watcher under faults", .serialized)
struct WatcherFaultTests {
    static let topic = "vigil.samples.zone-a"
    static let partitions = (0..<Int32(DevCluster.samplePartitions)).map { TopicPartition(topic: topic, partition: $0) }

    static func spawnWatcher(_ cluster: ClusterFile, stages: String, port: Int, log: String) throws -> Int32 {
        try Processes.spawn(
            ["\(Processes.executableDirectory)/vigil-storage-watcher", "--zone", "zone-a", "--kafka", cluster.kafka,
             "--frontend", cluster.zones[0].frontend, "--frontend-token-file", cluster.frontendTokens!.readFile,
             "--sample-key-file", cluster.sampleKey!.file, "--database", cluster.zones[0].database, "--stages", stages,
             "--profile", "dev", "--port", "\(port)"],
            log: "\(cluster.directory)/logs/\(log).log")
    }

    static func committed(_ cluster: ClusterFile, stage: String) async throws -> [TopicPartition: Int64] {
        try await withOffsetReader(cluster, group: "vigil-watcher-zone-a-\(stage)") { try await $0.committed(partitions) }
    }

    static func highWatermarks(_ cluster: ClusterFile) async throws -> [TopicPartition: Int64] {
        try await withOffsetReader(cluster, group: "vigil-test-watermarks") { try await $0.highWatermarks(partitions) }
    }

    /// A group handle that reads offsets only (it joins nothing), closed after `body`.
    static func withOffsetReader<T>(_ cluster: ClusterFile, group: String, _ body: (KafkaConsumer) async throws -> T) async throws -> T {
        let consumer = try KafkaConsumer(settings: ["bootstrap.servers": cluster.kafka], groupID: group, topics: [])
        do {
            let result = try await body(consumer)
            await consumer.close()
            return result
        } catch {
            await consumer.close()
            throw error
        }
    }

    static func checked(_ db: PostgresConnection, stage: String) async throws -> Int {
        try await db.query(
            "SELECT coalesce(sum(items_checked), 0)::int8 FROM passes WHERE verifier = 'storage-watcher' AND scope = $1",
            [.text("zone-a/\(stage)")]).int(0, 0)
    }

    struct Row: Sendable {
        var kind, subject, details: String
        var open: Bool
    }

    static func findings(_ db: PostgresConnection) async throws -> [Row] {
        let rows = try await db.query(
            "SELECT kind, subject, details::text, CASE WHEN resolved_at IS NULL THEN 1 ELSE 0 END::int8 FROM findings WHERE verifier = 'storage-watcher' ORDER BY id")
        return try (0..<rows.count).map { Row(kind: rows.string($0, 0), subject: rows.string($0, 1), details: rows.string($0, 2), open: try rows.int($0, 3) == 1) }
    }

    /// GET `url`: (status, body), nil when nothing answered.
    static func get(_ url: String) async -> (Int, String)? {
        guard let (data, response) = try? await URLSession.shared.data(from: URL(string: url)!) else { return nil }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    /// The value of a metric line starting with `prefix` in `/metrics`.
    static func metric(_ port: Int, _ prefix: String) async -> Double? {
        guard let (_, text) = await get("http://127.0.0.1:\(port)/metrics") else { return nil }
        return text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
    }

    @Test("frontend down while samples fall due, watcher killed meanwhile: no data finding, no sample skipped, all checked when it returns",
          .timeLimit(.minutes(4)))
    func frontendOutageWaitsAndSkipsNothing() async throws {
        try await withTestCluster(sampleRate: 1.0) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let stage = "6s"
            let port1 = try freeLoopbackPort()
            let first = try Self.spawnWatcher(cluster, stages: stage, port: port1, log: "watcher-1")
            var pids = [first]
            var frontendProcess = cluster.process(named: "zone-a/frontend")
            defer {
                for pid in pids where Processes.isAlive(pid) { killProcess(pid) }
                if frontendProcess.pid != cluster.process(named: "zone-a/frontend").pid { kill(frontendProcess.pid, SIGKILL); Processes.reap(frontendProcess.pid) }
            }

            // 20 samples checked and committed with the frontend up.
            for _ in 0..<20 { _ = try await frontend.put(randomBlock(64...1024)) }
            #expect(try await eventually(timeout: .seconds(60)) { try await Self.checked(db, stage: stage) >= 20 })
            #expect(try await eventually(timeout: .seconds(20)) { try await Self.committed(cluster, stage: stage).values.reduce(0, +) == 20 })

            // 30 more, then the frontend dies before they fall due.
            for _ in 0..<30 { _ = try await frontend.put(randomBlock(64...1024)) }
            #expect(try await eventually(timeout: .seconds(20)) { try await Self.highWatermarks(cluster).values.reduce(0, +) == 50 },
                    "every sample reached Kafka before the frontend goes")
            DevCluster.kill9(frontendProcess)

            #expect(try await eventually(timeout: .seconds(60)) {
                try await Self.findings(db).contains { $0.kind == "frontend_unavailable" && $0.subject == "stage/\(stage)/frontend" && $0.open }
            }, "the outage is its own condition")
            #expect(await eventually(timeout: .seconds(20)) { await Self.get("http://127.0.0.1:\(port1)/healthz").map { $0.0 == 503 && $0.1.contains("frontend") } ?? false },
                    "/healthz says the frontend is unavailable")
            #expect(await eventually(timeout: .seconds(20)) { (await Self.metric(port1, "vigil_watcher_lag_seconds{") ?? 0) > 1 },
                    "the lag counts samples waiting for the frontend")

            // The watcher dies between putting samples back and any commit past them.
            killProcess(first)
            let checkedAtCrash = try await Self.checked(db, stage: stage)
            let committedAtCrash = try await Self.committed(cluster, stage: stage).values.reduce(0, +)
            #expect(committedAtCrash <= checkedAtCrash, "the commit never passes a sample not checked")
            #expect(committedAtCrash < 50, "samples put back hold their partitions' commits")
            #expect(try await Self.findings(db).allSatisfy { $0.kind == "frontend_unavailable" }, "nothing reported against the data")

            // The frontend returns; a new watcher checks every sample left.
            try DevCluster.restart(&frontendProcess)
            #expect(await eventually(timeout: .seconds(30)) { await DevCluster.isHealthy(frontendProcess.health!) })
            let port2 = try freeLoopbackPort()
            pids.append(try Self.spawnWatcher(cluster, stages: stage, port: port2, log: "watcher-2"))
            #expect(try await eventually(timeout: .seconds(90)) { try await Self.committed(cluster, stage: stage).values.reduce(0, +) == 50 },
                    "every sample checked and committed")
            #expect(try await Self.checked(db, stage: stage) >= 50)
            #expect(try await eventually(timeout: .seconds(20)) { try await Self.findings(db).allSatisfy { !$0.open } }, "the outage finding is resolved")
            let all = try await Self.findings(db)
            #expect(all.map(\.kind) == ["frontend_unavailable"], "one finding for the outage, none against the data: \(all.map(\.subject))")
            #expect(await eventually(timeout: .seconds(20)) { await Self.get("http://127.0.0.1:\(port2)/healthz")?.0 == 200 })
        }
    }

    @Test("a garbage message and a far-future sample: one malformed_sample warning, and the partition keeps flowing",
          .timeLimit(.minutes(3)))
    func malformedSamplesAreReportedOnceAndNeverStall() async throws {
        try await withTestCluster(sampleRate: 1.0) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let stage = "2s"
            let port = try freeLoopbackPort()
            let watcher = try Self.spawnWatcher(cluster, stages: stage, port: port, log: "watcher")
            defer { killProcess(watcher) }
            let producer = try KafkaProducer(settings: ["bootstrap.servers": cluster.kafka])
            let partition: Int32 = 5
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            let keys = try cluster.sampleKey!.keyring()

            // On one (empty) partition: garbage, a sample written a day ahead, then a good sample.
            let data = randomBlock(100...100)
            let key = BlockKey.of(data)
            try producer.produce(topic: Self.topic, key: Array("not a block key".utf8), value: [1, 2, 3], partition: partition)
            try producer.produce(
                topic: Self.topic, key: key.bytes,
                value: SampleMessage(key: key, zone: "zone-a", volume: 1, length: 100, writtenAtMicros: now + 86_400_000_000).encodeValue(signedWith: keys.current), partition: partition)
            try await producer.flush()
            let put = try await frontend.put(data)
            try producer.produce(
                topic: Self.topic, key: key.bytes,
                value: SampleMessage(key: key, zone: "zone-a", volume: UInt64(try #require(put.volume)), length: 100, writtenAtMicros: now).encodeValue(signedWith: keys.current), partition: partition)
            try await producer.flush()
            #expect(producer.failed == 0)
            for _ in 0..<10 { _ = try await frontend.put(randomBlock(64...1024)) }
            #expect(try await eventually(timeout: .seconds(20)) { try await Self.highWatermarks(cluster).values.reduce(0, +) == 14 })

            // Everything is committed: the malformed messages are done, the good ones checked.
            let watermarks = try await Self.highWatermarks(cluster)
            #expect(try await eventually(timeout: .seconds(60)) { try await Self.committed(cluster, stage: stage) == watermarks.filter { $0.value > 0 } },
                    "every partition committed to its end")
            #expect(try await Self.checked(db, stage: stage) == 12, "11 samples from the frontend and the good one behind the malformed two")
            let all = try await Self.findings(db)
            #expect(all.count == 1, "\(all.map(\.subject))")
            let finding = try #require(all.first)
            #expect(finding.kind == "malformed_sample" && finding.subject == "topic/\(Self.topic)/partition/\(partition)")
            #expect(finding.details.contains(#""count": "2""#) && finding.details.contains(#""first_offset": "0""#), "\(finding.details)")
            #expect(await Self.metric(port, "vigil_watcher_malformed_total{") == 2)
            #expect(await Self.metric(port, "vigil_watcher_lag_seconds{") == 0, "nothing overdue: the far-future sample is not held")
            #expect(await Self.get("http://127.0.0.1:\(port)/healthz")?.0 == 200)
        }
    }
}

import Foundation
import Testing
import VigilCore
import VigilDev
import VigilKafka
import VigilPostgres
import VigilTestSupport

/// Whoever can reach Kafka cannot forge samples: a sample for a key never
/// written, with a wrong key's MAC, a genuine MAC moved onto another key, or
/// no MAC at all (version 1) is malformed — one warning per partition, never a
/// data finding — and genuine samples behind it are still checked.
@Suite("Storage watcher: forged samples", .serialized)
struct ForgedSampleTests {
    typealias Fault = WatcherFaultTests

    @Test("forged samples for keys never written: one malformed_sample warning, no not_found, genuine samples behind them checked",
          .timeLimit(.minutes(3)))
    func forgedSamplesAreMalformedNotFindings() async throws {
        try await withTestCluster(sampleRate: 1.0) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let stage = "2s"
            let port = try freeLoopbackPort()
            let watcher = try Fault.spawnWatcher(cluster, stages: stage, port: port, log: "watcher")
            defer { killProcess(watcher) }
            let producer = try KafkaProducer(settings: ["bootstrap.servers": cluster.kafka])
            let partition: Int32 = 3
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            let keys = try cluster.sampleKey!.keyring()
            let attacker = try SampleKeyring.parse("\(keys.current.id):" + String(repeating: "66", count: 32))

            // Three forgeries for keys never written, on one (empty) partition.
            let never = (0..<3).map { _ in BlockKey.of(randomBlock(100...100)) }
            let forged = { (key: BlockKey) in SampleMessage(key: key, zone: "zone-a", volume: 1, length: 100, writtenAtMicros: now) }
            try producer.produce(topic: Fault.topic, key: never[0].bytes, value: forged(never[0]).encodeValue(signedWith: attacker.current), partition: partition)
            try producer.produce(topic: Fault.topic, key: never[1].bytes, value: forged(never[1]).encodeVersion1Value(), partition: partition)
            let data = randomBlock(100...100)
            let put = try await frontend.put(data)
            let genuine = SampleMessage(key: BlockKey.of(data), zone: "zone-a", volume: UInt64(try #require(put.volume)), length: 100, writtenAtMicros: now)
            // A genuine value (and MAC) moved onto a key never written.
            try producer.produce(topic: Fault.topic, key: never[2].bytes, value: genuine.encodeValue(signedWith: keys.current), partition: partition)
            // Behind them on the same partition, a genuine sample.
            try producer.produce(topic: Fault.topic, key: genuine.key.bytes, value: genuine.encodeValue(signedWith: keys.current), partition: partition)
            try await producer.flush()
            #expect(producer.failed == 0)
            for _ in 0..<10 { _ = try await frontend.put(randomBlock(64...1024)) }
            #expect(try await eventually(timeout: .seconds(20)) { try await Fault.highWatermarks(cluster).values.reduce(0, +) == 15 })

            let watermarks = try await Fault.highWatermarks(cluster)
            #expect(try await eventually(timeout: .seconds(60)) { try await Fault.committed(cluster, stage: stage) == watermarks.filter { $0.value > 0 } },
                    "every partition committed to its end: the forgeries stalled nothing")
            #expect(try await Fault.checked(db, stage: stage) == 12, "11 samples from the frontend and the genuine one behind the forgeries")
            let all = try await Fault.findings(db)
            #expect(all.count == 1, "no data finding for a forged key: \(all.map { "\($0.kind) \($0.subject)" })")
            let finding = try #require(all.first)
            #expect(finding.kind == "malformed_sample" && finding.subject == "topic/\(Fault.topic)/partition/\(partition)")
            #expect(finding.details.contains(#""count": "3""#) && finding.details.contains("bad MAC"), "\(finding.details)")
            #expect(!all.contains { never.map(\.hex).contains(where: $0.subject.contains) }, "no finding names a forged key")
            #expect(await Fault.metric(port, "vigil_watcher_malformed_total{") == 3)
            #expect((await Fault.metric(port, "vigil_watcher_unauthenticated_samples_total{") ?? 0) == 0, "version 1 refused, not admitted")
            #expect(await Fault.get("http://127.0.0.1:\(port)/healthz")?.0 == 200)
        }
    }

    @Test("upgrade window: --accept-unauthenticated-samples checks version-1 samples and counts them; a bad MAC is still refused",
          .timeLimit(.minutes(3)))
    func upgradeWindowAdmitsVersion1() async throws {
        try await withTestCluster(sampleRate: 1.0) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let stage = "2s"
            let port = try freeLoopbackPort()
            let watcher = try Processes.spawn(
                ["\(Processes.executableDirectory)/vigil-storage-watcher", "--zone", "zone-a", "--kafka", cluster.kafka,
                 "--frontend", cluster.zones[0].frontend, "--frontend-token-file", cluster.frontendTokens!.readFile,
                 "--sample-key-file", cluster.sampleKey!.file, "--accept-unauthenticated-samples",
                 "--database", cluster.zones[0].database, "--stages", stage, "--profile", "dev", "--port", "\(port)"],
                log: "\(cluster.directory)/logs/watcher.log")
            defer { killProcess(watcher) }
            let producer = try KafkaProducer(settings: ["bootstrap.servers": cluster.kafka])
            let partition: Int32 = 4
            let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
            let attacker = try SampleKeyring.parse("1:" + String(repeating: "77", count: 32))

            // What an old frontend writes (version 1) for a block it stored, then a forgery with a wrong key.
            let data = randomBlock(100...100)
            let put = try await frontend.put(data)
            let old = SampleMessage(key: BlockKey.of(data), zone: "zone-a", volume: UInt64(try #require(put.volume)), length: 100, writtenAtMicros: now)
            try producer.produce(topic: Fault.topic, key: old.key.bytes, value: old.encodeVersion1Value(), partition: partition)
            let never = BlockKey.of(randomBlock(100...100))
            let forged = SampleMessage(key: never, zone: "zone-a", volume: 1, length: 100, writtenAtMicros: now)
            try producer.produce(topic: Fault.topic, key: never.bytes, value: forged.encodeValue(signedWith: attacker.current), partition: partition)
            try await producer.flush()
            #expect(try await eventually(timeout: .seconds(20)) { try await Fault.highWatermarks(cluster).values.reduce(0, +) == 3 })

            let watermarks = try await Fault.highWatermarks(cluster)
            #expect(try await eventually(timeout: .seconds(60)) { try await Fault.committed(cluster, stage: stage) == watermarks.filter { $0.value > 0 } })
            #expect(try await Fault.checked(db, stage: stage) == 2, "the frontend's signed sample and the old unsigned one")
            #expect(await Fault.metric(port, "vigil_watcher_unauthenticated_samples_total{") == 1, "the admitted version-1 sample is counted")
            let all = try await Fault.findings(db)
            #expect(all.map(\.kind) == ["malformed_sample"] && all.first?.details.contains("bad MAC") == true, "\(all.map { "\($0.kind) \($0.details)" })")
        }
    }
}

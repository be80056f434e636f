import AsyncHTTPClient
import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres
import VigilTestSupport

@Suite("Store safety", .serialized)
struct StoreSafetyTests {
    @Test("unauthenticated and wrong-role node requests are refused; a body that is not its key is refused by the key check", .timeLimit(.minutes(3)))
    func nodeAuthentication() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let node = cluster.zones[0].nodes[0]
            let key = BlockKey.of([1, 2, 3])
            let none = NodeClient(address: node.address, token: "")
            let wrong = NodeClient(address: node.address, token: "not-a-token")
            let reader = cluster.nodeClient(node)
            for client in [none, wrong] {
                let error = await #expect(throws: NodeClientError.self) { _ = try await client.listExtents() }
                #expect(error?.kind == .status(401))
            }
            let forbidden = await #expect(throws: NodeClientError.self) { try await reader.createVolume(999, generation: 1) }
            #expect(forbidden?.kind == .status(403))
            let put = await #expect(throws: NodeClientError.self) { try await reader.put(volume: 999, key: key, data: [1, 2, 3]) }
            #expect(put?.kind == .status(403))
            // A reader may list and check.
            #expect(try await reader.check([(key: key, volume: 999)]) == [.absent])
            // Malformed and hostile requests are clear 4xx errors.
            var garbage = HTTPClientRequest(url: node.address + "/v1/check")
            garbage.method = .POST
            garbage.headers.add(name: "Authorization", value: "Bearer \(cluster.tokens.reader)")
            garbage.body = .bytes([1, 2, 3])
            #expect(try await HTTPClient.shared.execute(garbage, timeout: .seconds(5)).status.code == 400)
            var traversal = HTTPClientRequest(url: node.address + "/v1/extents/..%2F..%2Fnode-tokens")
            traversal.headers.add(name: "Authorization", value: "Bearer \(cluster.tokens.reader)")
            #expect(try await HTTPClient.shared.execute(traversal, timeout: .seconds(5)).status.code == 400)
            // A body whose SHA-256 is not the key, into a volume the node holds: the key check refuses it, nothing is stored.
            let admin = cluster.nodeClient(node, admin: true)
            try await admin.createVolume(999, generation: 1)
            let mismatch = await #expect(throws: NodeClientError.self) { try await admin.put(volume: 999, key: key, data: [9]) }
            #expect(mismatch?.kind == .status(422) && mismatch?.code == "key_mismatch", "\(String(describing: mismatch))")
            #expect(try await reader.check([(key: key, volume: 999), (key: .of([9]), volume: 999)]) == [.absent, .absent])
            // The same request with the body the key names is stored: only the key differed.
            try await admin.put(volume: 999, key: key, data: [1, 2, 3])
            #expect(try await reader.check([(key: key, volume: 999)]) == [.present])
        }
    }

    @Test("a removed replica extent is restored by the master from a verified copy", .timeLimit(.minutes(4)))
    func repairRestoresARemovedExtent() async throws {
        try await withTestCluster { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            var keys: [BlockKey] = []
            for _ in 0..<300 { keys.append(BlockKey(hex: try await frontend.put(randomBlock(1...2048)).key)!) }
            let index = cluster.index
            let volume = try await index.lookup(keys[0])!.volume
            let inVolume = try await index.liveKeys(in: volume)
            let replica = try await index.replicas(of: volume)[0]
            let node = cluster.zones[0].nodes.first { $0.id == replica.node.id }!
            let process = cluster.process(named: "zone-a/\(node.name)")

            // Remove the extent while the node is down, as a disk loss would.
            await Processes.terminate(process.pid)
            let extent = "\(node.dataDirectory)/extents/\(ExtentName(volume: UInt64(volume), generation: 1))"
            try FileManager.default.removeItem(atPath: extent)
            var restarted = process
            try DevCluster.restart(&restarted)
            #expect(await eventually(timeout: .seconds(30)) { await DevCluster.isHealthy(process.health!) })
            let missing = try await cluster.nodeClient(node).check(inVolume.map { (key: $0, volume: UInt64(volume)) })
            #expect(missing.allSatisfy { $0 == .absent })

            // Reads still succeed from the other replicas.
            guard case .found(let data) = try await frontend.get(inVolume[0]) else { Issue.record("read failed"); return }
            #expect(BlockKey.of(data) == inVolume[0])

            try await index.requestRebuild(volume: volume, node: node.id, reason: "test: extent removed")
            #expect(try await eventually(timeout: .seconds(60)) { try await index.repairCounts()["done", default: 0] >= 1 })
            let present = try await cluster.nodeClient(node).check(inVolume.map { (key: $0, volume: UInt64(volume)) })
            #expect(present.allSatisfy { $0 == .present })
            let report = try ExtentReader(path: extent).scan(options: { var o = ExtentScanOptions(); o.expectSealed = true; return o }())
            #expect(report.isClean && report.isSealed)
            for key in inVolume.prefix(20) {
                #expect(BlockKey.of(try await cluster.nodeClient(node).get(volume: UInt64(volume), key: key)) == key)
            }
        }
    }

    @Test("a node that refuses the frontend's credential is not a bad copy: reads go to other replicas, no repair is queued", .timeLimit(.minutes(3)))
    func refusedCredentialIsNotDamage() async throws {
        try await withTestCluster { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            var keys: [BlockKey] = []
            for _ in 0..<60 { keys.append(try #require(BlockKey(hex: try await frontend.put(randomBlock(64...512)).key))) }
            // Restart node 1 with tokens nobody holds (a rotated secret, a wrong file).
            let node = cluster.zones[0].nodes[0]
            var process = try #require(cluster.processes.first { $0.name == node.process })
            let flag = try #require(process.arguments.firstIndex(of: "--tokens-file"))
            let wrong = cluster.directory + "/wrong-node-tokens"
            try "reader:\(String(repeating: "1", count: 64))\nadmin:\(String(repeating: "2", count: 64))\n".write(toFile: wrong, atomically: true, encoding: .utf8)
            chmod(wrong, 0o600)
            DevCluster.kill9(process)
            process.arguments[flag + 1] = wrong
            try DevCluster.restart(&process)
            defer { DevCluster.kill9(process) }
            let refusing = NodeClient(address: node.address, token: cluster.tokens.reader)
            #expect(try await eventually(timeout: .seconds(30)) {
                do { _ = try await refusing.listExtents(); return false } catch let error as NodeClientError { return error.isUnauthorized }
            }, "the node serves again and refuses the cluster's token")
            for key in keys {
                guard case .found(let data) = try await frontend.get(key) else { Issue.record("\(key) unreadable"); continue }
                #expect(BlockKey.of(data) == key)
            }
            let queued = try await cluster.index.pool.withConnection { c in
                try await c.query("SELECT count(*)::int8 FROM repair_queue WHERE node_id = $1", [.int32(Int32(node.id))]).int(0, 0)
            }
            #expect(queued == 0, "repairs queued for a node that only refused a credential")
        }
    }
}

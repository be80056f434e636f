import AsyncHTTPClient
import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport

/// The frontend is authenticated by default: every block request needs a
/// token, and the token's roles decide what it may do.
@Suite("Frontend authentication", .serialized)
struct FrontendAuthTests {
    /// One raw request: status, body (as text) and parsed JSON error code.
    static func send(_ method: String, _ url: String, token: String?, body: [UInt8]? = nil) async throws -> (status: Int, text: String, code: String?) {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(body) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = Array(buffer: try await response.body.collect(upTo: 8 << 20))
        let json = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
        return (Int(response.status.code), String(decoding: bytes, as: UTF8.self), json?["error"] as? String)
    }

    /// The block's state in the index: nil (never stored), or live / deleted.
    static func state(_ cluster: ClusterFile, _ key: BlockKey) async throws -> BlockState? {
        try await cluster.index.lookup(key)?.state
    }

    @Test("no token or a wrong one: 401 with a JSON error, nothing stored or deleted; /healthz and /metrics stay open", .timeLimit(.minutes(3)))
    func anonymousAndWrongTokens() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let base = cluster.zones[0].frontend
            let stored = randomBlock(100...200)
            let storedKey = try #require(BlockKey(hex: try await cluster.frontendClient().put(stored).key))

            for token in [nil, "", "not-a-token", cluster.tokens.admin /* a node token is not a frontend token */] as [String?] {
                let fresh = randomBlock(100...200)
                let put = try await Self.send("PUT", base + "/v1/blocks", token: token, body: fresh)
                #expect(put.status == 401 && put.code == "unauthorized", "PUT with \(token == nil ? "no token" : "a wrong token"): \(put.status) \(put.text)")
                #expect(try await Self.state(cluster, BlockKey.of(fresh)) == nil, "a refused PUT stored nothing")

                let get = try await Self.send("GET", base + "/v1/blocks/\(storedKey.hex)", token: token)
                #expect(get.status == 401 && get.code == "unauthorized", "GET: \(get.status)")

                let delete = try await Self.send("DELETE", base + "/v1/blocks/\(storedKey.hex)", token: token)
                #expect(delete.status == 401 && delete.code == "unauthorized", "DELETE: \(delete.status)")
                #expect(try await Self.state(cluster, storedKey) == .live, "a refused DELETE deleted nothing")
            }
            // The public client says so too, and the block is still served to a reader.
            await #expect(throws: FrontendClientError.self) { _ = try await FrontendClient(address: base).put(randomBlock()) }
            do {
                _ = try await FrontendClient(address: base, token: "wrong").get(storedKey)
                Issue.record("a wrong token read a block")
            } catch let error as FrontendClientError {
                #expect(error.isUnauthorized && error.code == "unauthorized")
            }
            guard case .found(let data) = try await cluster.frontendClient(\.read).get(storedKey) else {
                Issue.record("the block is gone after refused deletes")
                return
            }
            #expect(data == stored)

            for path in ["/healthz", "/metrics"] {
                let open = try await Self.send("GET", base + path, token: nil)
                #expect(open.status == 200, "\(path) needs no token: \(open.status)")
            }
            let metrics = try await Self.send("GET", base + "/metrics", token: nil).text
            #expect(metrics.contains("vigil_frontend_unauthorized_requests_total"))
        }
    }

    @Test("roles: read cannot PUT or DELETE, write cannot DELETE or read, delete only deletes; 403 and nothing changes", .timeLimit(.minutes(3)))
    func rolesAreEnforced() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let base = cluster.zones[0].frontend
            let tokens = try #require(cluster.frontendTokens)
            let stored = randomBlock(100...200)
            let storedKey = try #require(BlockKey(hex: try await cluster.frontendClient(\.write).put(stored).key))

            // read: GET only.
            let fresh = randomBlock(100...200)
            let readPut = try await Self.send("PUT", base + "/v1/blocks", token: tokens.read, body: fresh)
            #expect(readPut.status == 403 && readPut.code == "forbidden", "read token PUT: \(readPut.status) \(readPut.text)")
            #expect(try await Self.state(cluster, BlockKey.of(fresh)) == nil)
            let readDelete = try await Self.send("DELETE", base + "/v1/blocks/\(storedKey.hex)", token: tokens.read)
            #expect(readDelete.status == 403 && readDelete.code == "forbidden", "read token DELETE: \(readDelete.status)")
            #expect(try await Self.state(cluster, storedKey) == .live)
            guard case .found(let data) = try await cluster.frontendClient(\.read).get(storedKey) else {
                Issue.record("the read token cannot read")
                return
            }
            #expect(data == stored)

            // write: PUT only.
            let writeDelete = try await Self.send("DELETE", base + "/v1/blocks/\(storedKey.hex)", token: tokens.write)
            #expect(writeDelete.status == 403 && writeDelete.code == "forbidden", "write token DELETE: \(writeDelete.status)")
            #expect(try await Self.state(cluster, storedKey) == .live)
            let writeGet = try await Self.send("GET", base + "/v1/blocks/\(storedKey.hex)", token: tokens.write)
            #expect(writeGet.status == 403, "write token GET: \(writeGet.status)")

            // delete: DELETE only.
            let deletePut = try await Self.send("PUT", base + "/v1/blocks", token: tokens.delete, body: fresh)
            #expect(deletePut.status == 403)
            #expect(try await Self.state(cluster, BlockKey.of(fresh)) == nil)
            let deleteGet = try await Self.send("GET", base + "/v1/blocks/\(storedKey.hex)", token: tokens.delete)
            #expect(deleteGet.status == 403)
            try await cluster.frontendClient(\.delete).delete(storedKey)
            #expect(try await Self.state(cluster, storedKey) == .deleted)
            guard case .deleted = try await cluster.frontendClient(\.admin).get(storedKey) else {
                Issue.record("the admin token does not see the delete")
                return
            }
        }
    }

    @Test("a PUT tells only readers whether the content was stored already", .timeLimit(.minutes(3)))
    func deduplicationIsForReaders() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let base = cluster.zones[0].frontend
            let tokens = try #require(cluster.frontendTokens)
            let block = randomBlock(100...200)
            let key = BlockKey.of(block)

            // Write-only: the same answer (201, the key alone) whether the block is new or not.
            let first = try await Self.send("PUT", base + "/v1/blocks", token: tokens.write, body: block)
            let again = try await Self.send("PUT", base + "/v1/blocks", token: tokens.write, body: block)
            #expect(first.status == 201 && again.status == 201, "\(first.status) then \(again.status)")
            #expect(first.text == again.text, "the write-only answers differ: \(first.text) vs \(again.text)")
            #expect(!again.text.contains("deduplicated") && !again.text.contains("volume"), "\(again.text)")
            #expect(again.text.contains(key.hex))
            #expect(try await Self.state(cluster, key) == .live)
            let viaClient = try await cluster.frontendClient(\.write).put(block)
            #expect(viaClient.key == key.hex && viaClient.deduplicated == nil && viaClient.volume == nil)

            // Admin (holds read): told, with 200.
            let admin = try await Self.send("PUT", base + "/v1/blocks", token: tokens.admin, body: block)
            #expect(admin.status == 200, "\(admin.status) \(admin.text)")
            let result = try await cluster.frontendClient(\.admin).put(block)
            #expect(result.deduplicated == true && result.volume != nil)
            let newBlock = try await cluster.frontendClient(\.admin).put(randomBlock(100...200))
            #expect(newBlock.deduplicated == false)
        }
    }

    @Test("vigil put and get use the cluster file's tokens; --token-file and VIGIL_FRONTEND_TOKEN override them", .timeLimit(.minutes(3)))
    func cliSendsTokens() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let vigil = "\(Processes.executableDirectory)/vigil"
            let clusterFile = DevCluster.clusterPath(cluster.directory)
            let tokens = try #require(cluster.frontendTokens)
            let block = randomBlock(100...2000)
            let input = cluster.directory + "/cli-block"
            try Data(block).write(to: URL(fileURLWithPath: input))

            let put = try Command.runStatus([vigil, "put", "--cluster", clusterFile, input])
            #expect(put.status == 0, "vigil put: \(put.output)")
            let key = put.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(key == BlockKey.of(block).hex)

            let output = cluster.directory + "/cli-out"
            let get = try Command.runStatus([vigil, "get", "--cluster", clusterFile, key, "-o", output])
            #expect(get.status == 0, "vigil get: \(get.output)")
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: output))) == block)

            // A read token cannot put; a wrong token from the environment cannot get.
            let other = cluster.directory + "/cli-other"
            try Data(randomBlock(100...200)).write(to: URL(fileURLWithPath: other))
            let readOnly = try Command.runStatus([vigil, "put", "--cluster", clusterFile, "--token-file", tokens.readFile, other])
            #expect(readOnly.status != 0 && readOnly.output.contains("403"), "put with the read token: \(readOnly.output)")
            let wrong = try Command.runStatus(["/usr/bin/env", "VIGIL_FRONTEND_TOKEN=wrong-token", vigil, "get", "--cluster", clusterFile, key, "-o", output])
            #expect(wrong.status != 0 && wrong.output.contains("401"), "get with a wrong token: \(wrong.output)")
            #expect(!wrong.output.contains(tokens.admin) && !readOnly.output.contains(tokens.read), "an error echoed a token")
            let viaEnvironment = try Command.runStatus(["/usr/bin/env", "VIGIL_FRONTEND_TOKEN=\(tokens.read)", vigil, "get", "--cluster", clusterFile, key, "-o", output])
            #expect(viaEnvironment.status == 0, "get with the read token from the environment: \(viaEnvironment.output)")
        }
    }

    @Test("dev up writes one token file per role and the frontends' tokens file, owner-only", .timeLimit(.minutes(3)))
    func devUpWritesTokenFiles() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let tokens = try #require(cluster.frontendTokens)
            let byFile = [tokens.readFile: tokens.read, tokens.writeFile: tokens.write, tokens.deleteFile: tokens.delete, tokens.adminFile: tokens.admin]
            #expect(Set(byFile.values).count == 4, "four distinct tokens")
            for (path, token) in byFile {
                #expect(try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == token)
                let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
                #expect(mode == 0o600, "\(path) is \(String(mode, radix: 8))")
            }
            let lines = try String(contentsOfFile: tokens.tokensFile, encoding: .utf8).split(separator: "\n").map(String.init)
            #expect(Set(lines) == ["read:\(tokens.read)", "write:\(tokens.write)", "delete:\(tokens.delete)", "admin:\(tokens.admin)"])
            let frontend = cluster.process(named: "zone-a/frontend")
            #expect(frontend.arguments.contains(tokens.tokensFile) && !frontend.arguments.contains { $0.contains(tokens.admin) })
        }
    }

    @Test("a tokens file with comments, blank lines and a token listed under two roles: it has both", .timeLimit(.minutes(3)))
    func tokenUnderTwoRoles() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let file = cluster.directory + "/custom-frontend-tokens"
            try Data("# operators\n\nread:both-roles-token\nwrite:both-roles-token\n  write:writer-only-token  \n".utf8).write(to: URL(fileURLWithPath: file))
            // The cluster's frontend steps aside for one started with this file.
            var process = cluster.process(named: "zone-a/frontend")
            await Processes.terminate(process.pid)
            let port = try freeLoopbackPort()
            var arguments = process.arguments
            arguments[try #require(arguments.firstIndex(of: "--tokens-file")) + 1] = file
            arguments[try #require(arguments.firstIndex(of: "--port")) + 1] = "\(port)"
            process.arguments = arguments
            process.log = cluster.directory + "/logs/custom-frontend.log"
            try DevCluster.restart(&process)
            defer { killProcess(process.pid) }
            let base = "http://127.0.0.1:\(port)"
            #expect(await eventually(timeout: .seconds(30)) { await DevCluster.isHealthy(base + "/healthz") })

            let both = FrontendClient(address: base, token: "both-roles-token")
            let block = randomBlock(100...200)
            #expect(try await both.put(block).deduplicated == false)
            #expect(try await both.put(block).deduplicated == true, "read and write: told it was deduplicated")
            guard case .found(let data) = try await both.get(BlockKey.of(block)) else {
                Issue.record("the token listed under read cannot read")
                return
            }
            #expect(data == block)
            let writer = FrontendClient(address: base, token: "writer-only-token")
            #expect(try await writer.put(block).deduplicated == nil, "surrounding blanks are not part of the token; write only is not told")
            let refused = try await Self.send("DELETE", base + "/v1/blocks/\(BlockKey.of(block).hex)", token: "both-roles-token")
            #expect(refused.status == 403)
            let old = try await Self.send("GET", base + "/v1/blocks/\(BlockKey.of(block).hex)", token: cluster.frontendTokens!.admin)
            #expect(old.status == 401, "the cluster's generated tokens are not in this file")
        }
    }

    @Test("HEAD answers as GET would: 200 with the length for a stored block, 404 for an unknown one, 401 without a token", .timeLimit(.minutes(3)))
    func headAnswersLikeGet() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let base = cluster.zones[0].frontend
            let block = randomBlock(300...400)
            let key = try #require(BlockKey(hex: try await cluster.frontendClient().put(block).key))
            let reader = try #require(cluster.frontendTokens).read
            var request = HTTPClientRequest(url: base + "/v1/blocks/\(key.hex)")
            request.method = .HEAD
            request.headers.add(name: "Authorization", value: "Bearer \(reader)")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status == .ok, "HEAD of a stored block: \(response.status)")
            #expect(response.headers.first(name: "Content-Length") == "\(block.count)")
            #expect(try await Self.send("HEAD", base + "/v1/blocks/\(BlockKey.of(randomBlock()).hex)", token: reader).status == 404)
            #expect(try await Self.send("HEAD", base + "/v1/blocks/\(key.hex)", token: nil).status == 401)
            #expect(try await cluster.index.repairCounts().isEmpty, "a HEAD queued a repair")
        }
    }

    @Test("the frontend does not start without client tokens", .timeLimit(.minutes(1)))
    func noOpenMode() throws {
        let directory = try makeTemporaryDirectory("vigil-frontend-auth")
        defer { try? FileManager.default.removeItem(at: directory) }
        let nodeToken = directory.path + "/node.token"
        try Data("node-token".utf8).write(to: URL(fileURLWithPath: nodeToken))
        let frontend = "\(Processes.executableDirectory)/vigil-frontend"
        let common = [frontend, "--zone", "zone-a", "--database", "postgresql://vigil@127.0.0.1:1/none", "--node-token-file", nodeToken, "--port", "\(try freeLoopbackPort())"]

        let none = try Command.runStatus(common)
        #expect(none.status != 0 && none.output.contains("no client tokens"), "\(none.status): \(none.output)")

        let bad = directory.path + "/bad-tokens"
        try Data("reader:secret-value-123\n".utf8).write(to: URL(fileURLWithPath: bad))
        let refused = try Command.runStatus(common + ["--tokens-file", bad])
        #expect(refused.status != 0 && refused.output.contains("read, write, delete or admin"), "\(refused.status): \(refused.output)")
        #expect(!refused.output.contains("secret-value-123"), "the error echoed the token")
    }
}

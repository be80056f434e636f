import Foundation
import Testing
import VigilCore
import VigilDev
import VigilTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Slow and oversized HTTP requests against real daemons over raw sockets: a half-sent
/// or trickled head is cut at the header deadline, a declared 10 GB body is answered
/// 413 before any of it is sent, connections beyond the cap are refused without
/// stopping the daemon, and the daemon answers others all the while.
@Suite("Hostile HTTP clients", .serialized)
struct HostileHTTPTests {
    /// The node is started on its own with short limits (the environment overrides
    /// every daemon reads); the frontend runs in a cluster with the defaults.
    @Test("node: half-sent and trickled heads are cut, 10 GB declared gets 413 at once, slow and oversized bodies are cut, the connection cap holds",
          .timeLimit(.minutes(3)))
    func node() async throws {
        try await withStandaloneNode(environment: [
            "VIGIL_HTTP_HEADER_TIMEOUT_MS": "2000", "VIGIL_HTTP_BODY_GRACE_MS": "1500",
            "VIGIL_HTTP_MAX_CONNECTIONS": "16", "VIGIL_HTTP_MAX_BODY_BYTES": "65536",
        ]) { node in
            // A half-sent head and a trickle (one byte every 300 ms, never finishing) are both cut
            // near the 2 s deadline, while /healthz answers on other connections.
            let started = ContinuousClock.now
            let halfSent = try RawHTTPConnection(node.port)
            try halfSent.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            let trickle = try RawHTTPConnection(node.port)
            let trickling = Task { await trickle.trickle("GET /healthz HTTP/1.1\r\nX-Slow: " + String(repeating: "a", count: 200), every: .milliseconds(300)) }
            try await Task.sleep(for: .milliseconds(500))
            #expect(try RawHTTPConnection.get(node.port, "/healthz").status == 200, "the node answers others meanwhile")
            #expect(await halfSent.closed(within: .seconds(6)), "a half-sent head is closed")
            #expect(await trickle.closed(within: .seconds(6)), "a trickled head is closed")
            trickling.cancel()
            #expect(ContinuousClock.now - started < .seconds(6))

            // A declared 10 GB block: 413 at once, without one byte of the body.
            let huge = try RawHTTPConnection(node.port)
            let key = String(repeating: "ab", count: 32)
            try huge.send("PUT /v1/volumes/1/blocks/\(key) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(node.adminToken)\r\nContent-Length: 10000000000\r\n\r\n")
            let answer = await huge.response(within: .seconds(2))
            #expect(answer?.status == 413, "got \(answer.map { "\($0.status)" } ?? "nothing")")
            #expect(await huge.closed(within: .seconds(4)))

            // A client that sends its too-large body anyway still reads the 413 (no reset first).
            let eager = try RawHTTPConnection(node.port)
            try eager.send("PUT /v1/volumes/1/blocks/\(key) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(node.adminToken)\r\nContent-Length: 262144\r\n\r\n"
                + String(repeating: "e", count: 262_144))
            #expect(await eager.response(within: .seconds(3))?.status == 413)

            // A chunked body is cut at the bound (64 KiB here); a declared body that stalls is cut after its grace.
            let chunked = try RawHTTPConnection(node.port)
            try chunked.send("PUT /v1/volumes/1/blocks/\(key) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(node.adminToken)\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = String(repeating: "z", count: 16384)
            for _ in 0..<8 { try? chunked.send(String(16384, radix: 16) + "\r\n" + chunk + "\r\n") }
            #expect(await chunked.closed(within: .seconds(3)), "a chunked body past the bound is cut")
            let stalled = try RawHTTPConnection(node.port)
            try stalled.send("PUT /v1/volumes/1/blocks/\(key) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(node.adminToken)\r\nContent-Length: 1000\r\n\r\nabc")
            #expect(await stalled.closed(within: .seconds(5)), "a stalled body is cut after its grace")

            // 40 connections against a cap of 16: the extra ones are refused at once, the admitted
            // ones keep working, and once they close /healthz answers again; the node never dies.
            var held: [RawHTTPConnection] = []
            for _ in 0..<40 { held.append(try RawHTTPConnection(node.port)) }
            try held[0].send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(await held[0].response(within: .seconds(10))?.status == 200, "an admitted connection keeps working")
            var refused = 0
            for connection in held[16...] where await connection.closed(within: .seconds(2)) { refused += 1 }
            #expect(refused >= 20, "connections beyond the cap are closed quickly (\(refused) of 24)")
            held.removeAll()
            #expect(await eventually(timeout: .seconds(10)) { (try? RawHTTPConnection.get(node.port, "/healthz").status) == 200 })
            #expect(Processes.isAlive(node.pid))
        }
    }

    @Test("frontend: a half-sent and a trickled head are cut at the 10 s default, 10 GB declared gets 413 at once, traffic still flows",
          .timeLimit(.minutes(4)))
    func frontend() async throws {
        try await withTestCluster(nodes: 3) { (cluster: ClusterFile) async throws in
            let port = try #require(URL(string: cluster.zones[0].frontend)?.port)
            let token = cluster.frontendTokens!.admin

            let started = ContinuousClock.now
            let halfSent = try RawHTTPConnection(port)
            try halfSent.send("PUT /v1/blocks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n")
            let trickle = try RawHTTPConnection(port)
            let trickling = Task { await trickle.trickle("GET /healthz HTTP/1.1\r\nX-Slow: " + String(repeating: "a", count: 400), every: .milliseconds(500)) }

            // Meanwhile: a 10 GB declaration is refused at once, and ordinary writes and reads work.
            let huge = try RawHTTPConnection(port)
            let asked = ContinuousClock.now
            try huge.send("PUT /v1/blocks HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 10000000000\r\n\r\n")
            #expect(await huge.response(within: .seconds(2))?.status == 413)
            #expect(ContinuousClock.now - asked < .seconds(2))
            let block = randomBlock(1000...5000)
            let key = try #require(BlockKey(hex: try await cluster.frontendClient().put(block).key))
            guard case .found(let read) = try await cluster.frontendClient().get(key) else {
                Issue.record("a block written next to hostile clients cannot be read back")
                return
            }
            #expect(read == block)
            #expect(try RawHTTPConnection.get(port, "/healthz").status == 200)

            #expect(await halfSent.closed(within: .seconds(15)), "a half-sent head is closed")
            #expect(await trickle.closed(within: .seconds(5)), "a trickled head is closed")
            trickling.cancel()
            #expect(ContinuousClock.now - started < .seconds(16))
            #expect(try RawHTTPConnection.get(port, "/healthz").status == 200)
        }
    }
}

// MARK: - A node on its own, and a raw socket

struct StandaloneNode: Sendable {
    var port: Int
    var pid: Int32
    var adminToken: String
}

/// Starts `vigil-node` with `environment` on a fresh data directory, waits for
/// `/healthz`, runs `body`, then stops and deletes it.
func withStandaloneNode(environment: [String: String], _ body: (StandaloneNode) async throws -> Void) async throws {
    let directory = try makeTemporaryDirectory("vigil-hostile-http")
    defer { try? FileManager.default.removeItem(at: directory) }
    let admin = UUID().uuidString
    let tokens = directory.appendingPathComponent("tokens").path
    try "reader:\(UUID().uuidString)\nadmin:\(admin)\n".write(toFile: tokens, atomically: true, encoding: .utf8)
    let port = try freeLoopbackPort()
    let pid = try Processes.spawn(
        ["\(Processes.executableDirectory)/vigil-node", "--data-dir", directory.appendingPathComponent("data").path,
         "--port", "\(port)", "--tokens-file", tokens, "--fsync", "false"],
        log: directory.appendingPathComponent("node.log").path, environment: environment)
    do {
        let up = await eventually(timeout: .seconds(30)) { (try? RawHTTPConnection.get(port, "/healthz").status) == 200 }
        try #require(up, "vigil-node did not come up; see \(directory.path)/node.log")
        try await body(StandaloneNode(port: port, pid: pid, adminToken: admin))
    } catch {
        await Processes.terminate(pid)
        throw error
    }
    await Processes.terminate(pid)
}

/// One TCP connection to 127.0.0.1, written and read by hand (non-blocking reads).
final class RawHTTPConnection: @unchecked Sendable {
    let fd: Int32
    private var received: [UInt8] = []
    private var sawEnd = false

    init(_ port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawSocketError("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw RawSocketError("connect to port \(port): errno \(errno)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                guard errno == EAGAIN else { throw RawSocketError("send: errno \(errno)") }
                usleep(1000)
                continue
            }
            sent += n
        }
    }

    /// Sends `text` one byte per `interval` until done, closed or cancelled.
    func trickle(_ text: String, every interval: Duration) async {
        for byte in text.utf8 {
            guard !Task.isCancelled, (try? send(String(decoding: [byte], as: UTF8.self))) != nil else { return }
            try? await Task.sleep(for: interval)
        }
    }

    /// Reads what is there; true once the peer closed (end of stream or reset).
    private func drain() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { received += buffer[..<n]; continue }
            if n == 0 || errno != EAGAIN { sawEnd = true }
            return sawEnd
        }
    }

    /// Whether the peer closes the connection within `timeout`.
    func closed(within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if drain() { return true }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return drain()
    }

    /// The status and head of the first response, if one arrives within `timeout`.
    func response(within timeout: Duration) async -> (status: Int, head: String)? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let ended = drain()
            if let parsed = Self.parse(received) { return parsed }
            if ended { return nil }
            try? await Task.sleep(for: .milliseconds(25))
        }
        return nil
    }

    static func parse(_ bytes: [UInt8]) -> (status: Int, head: String)? {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let head = String(text[..<end.lowerBound])
        let parts = head.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        return (status, head)
    }

    /// A whole GET on a new connection, blocking for at most 5 s.
    static func get(_ port: Int, _ path: String) throws -> (status: Int, head: String) {
        let connection = try RawHTTPConnection(port)
        try connection.send("GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            let ended = connection.drain()
            if let parsed = parse(connection.received) { return parsed }
            if ended { break }
            usleep(10_000)
        }
        throw RawSocketError("no answer to GET \(path) on port \(port)")
    }
}

struct RawSocketError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

import Foundation
import Testing
import VigilCore
import VigilFrontendClient
import VigilNodeClient
#if canImport(Glibc)
import Glibc
#endif

/// A listening socket that never accepts: connections complete in the kernel's
/// backlog and every request waits for an answer that never comes.
final class SilentListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    var url: String { "http://127.0.0.1:\(port)" }

    deinit { close(fd) }
}

@Suite(.timeLimit(.minutes(1))) struct ServiceClientCancellationTests {
    let key = BlockKey(hex: String(repeating: "ab", count: 32))!

    /// What a request ended with: cancelled, unreachable, or something else.
    func outcome(_ request: @escaping @Sendable () async throws -> Void) async -> String {
        do {
            try await request()
            return "answered"
        } catch is CancellationError {
            return "cancelled"
        } catch let error as NodeClientError where error.isUnreachable {
            return "unreachable"
        } catch {
            return "other: \(error)"
        }
    }

    @Test("a node request its caller cancels is cancelled, not the node unreachable; a timeout still is unreachable")
    func cancelledNodeRequestIsNotUnreachable() async throws {
        let silent = try SilentListener()
        let client = NodeClient(address: silent.url, token: "t")
        let started = ContinuousClock.now
        let task = Task { await outcome { _ = try await client.get(volume: 1, key: key) } }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        #expect(await task.value == "cancelled")
        #expect(ContinuousClock.now - started < .seconds(5), "the cancelled request ended at once, not at its 10 s timeout")

        var impatient = client
        impatient.timeout = .milliseconds(300)
        let timingOut = impatient
        #expect(await outcome { _ = try await timingOut.get(volume: 1, key: key) } == "unreachable")
    }

    @Test("a frontend read its caller cancels is cancelled, not the frontend unavailable")
    func cancelledFrontendRequestIsNotUnreachable() async throws {
        let silent = try SilentListener()
        let client = FrontendClient(address: silent.url, token: "t")
        let task = Task { await outcome { _ = try await client.get(key) } }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        #expect(await task.value == "cancelled")

        var impatient = client
        impatient.timeout = .milliseconds(300)
        let timingOut = impatient
        #expect(await outcome { _ = try await timingOut.get(key) } == "unreachable")
    }

    @Test("an error status keeps the API's code and message, and the node's message format the frontend parses")
    func errorStatusIsParsed() {
        let error = NodeClientError(peer: .node, address: "http://n1", status: 500, body: Array(#"{"error":"corrupt_record","message":"crc"}"#.utf8))
        #expect(error.code == "corrupt_record" && error.status == 500 && !error.isUnreachable && !error.isRetriable)
        #expect(error.description == "node http://n1 answered 500 corrupt_record: crc")
        let plain = FrontendClientError(status: 503, body: Array("Service Unavailable".utf8))
        #expect(plain.code == nil && plain.message == "Service Unavailable" && plain.isRetriable)
    }
}

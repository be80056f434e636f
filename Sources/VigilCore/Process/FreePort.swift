import Foundation

/// Ports handed out by this process, never handed out twice.
private let handedOut = LockedValue<Set<Int>>([])

/// A free TCP port on 127.0.0.1 for a server to listen on. Chosen below the
/// kernel's ephemeral range (32768 and up), so that no outgoing connection can
/// take it between this check and the server's bind.
public func freeLoopbackPort() throws -> Int {
    for _ in 0..<1000 {
        let port = Int.random(in: 20_000..<32_000)
        guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
        if canBind(port) { return port }
    }
    throw FileIOError(path: "127.0.0.1", operation: "find a free port", errno: EADDRINUSE)
}

private func canBind(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

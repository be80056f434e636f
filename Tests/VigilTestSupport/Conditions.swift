import Foundation

/// Waits until `condition` holds, checking every `interval`, for at most
/// `timeout`; returns whether it held. Tests wait on conditions, never on sleeps.
public func eventually(
    timeout: Duration = .seconds(30), interval: Duration = .milliseconds(50),
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}

/// This process's resident memory in bytes (VmRSS from /proc/self/status).
public func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
          let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    else { return 0 }
    return kib * 1024
}

/// A fresh temporary directory, removed by the caller.
public func makeTemporaryDirectory(_ prefix: String = "vigil-test") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

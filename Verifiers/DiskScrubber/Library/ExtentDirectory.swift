import Foundation
import VigilCore

/// One extent file as a listing of the data directory saw it.
struct ExtentFileEntry: Sendable {
    /// `extents/NAME` or `trash/NAME`.
    var path: String
    var size: UInt64
    var mtime: Date
}

/// The node's data directory as the scrubber reads it. Every listing and
/// `stat` runs on the blocking executor, never on the cooperative pool; the
/// sweep lists once per pass (a file that appears mid-pass is the recent
/// lane's until the next pass; one that leaves is a vanished item).
final class ExtentDirectory: Sendable {
    let root: String
    private let passListing = LockedValue<[ExtentFileEntry]?>(nil)

    init(root: String) { self.root = root }

    /// Every extent file, sorted by path, listed now.
    func list() async throws -> [ExtentFileEntry] {
        try await blockingIO { [root] in Self.listNow(root: root) }
    }

    /// Lists the directory for a new pass and keeps that listing until `endPass`.
    func startPass() async throws -> [ExtentFileEntry] {
        let files = try await list()
        passListing.withLock { $0 = files }
        return files
    }

    /// The current pass's listing (made now if the pass has none).
    func passFiles() async throws -> [ExtentFileEntry] {
        if let files = passListing.value { return files }
        return try await startPass()
    }

    func endPass() { passListing.withLock { $0 = nil } }

    /// Which of these relative paths no longer name a file.
    func missing(_ paths: [String]) async throws -> [String] {
        try await blockingIO { [root] in paths.filter { !FileManager.default.fileExists(atPath: "\(root)/\($0)") } }
    }

    private static func listNow(root: String) -> [ExtentFileEntry] {
        var files: [ExtentFileEntry] = []
        for location in ["extents", "trash"] {
            let directory = "\(root)/\(location)"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where ExtentName(name) != nil {
                let status = try? FileStatus.of(path: "\(directory)/\(name)")
                files.append(ExtentFileEntry(
                    path: "\(location)/\(name)", size: status?.size ?? 0,
                    mtime: status.map { Date(timeIntervalSince1970: Double($0.modifiedNanos) / 1e9) } ?? .distantPast))
            }
        }
        return files.sorted { $0.path < $1.path }
    }
}

import Foundation

/// Which node a data directory belongs to: the zone and the node's id in that
/// zone's block index, kept in `node-identity.json` at the directory's top. The
/// node writes it on first start; the node and every verifier reading the
/// directory refuse to run when it names another node, so a mistyped
/// `--data-dir` cannot make one node's disk pass for another's.
public struct NodeIdentity: Codable, Sendable, Equatable, CustomStringConvertible {
    public static let fileName = "node-identity.json"

    public var zone: String
    public var nodeID: Int

    enum CodingKeys: String, CodingKey {
        case zone
        case nodeID = "node_id"
    }

    public init(zone: String, nodeID: Int) {
        self.zone = zone
        self.nodeID = nodeID
    }

    public var description: String { "\(zone)/node-\(nodeID)" }

    public static func path(in dataDirectory: String) -> String { "\(dataDirectory)/\(fileName)" }

    /// The identity recorded in `dataDirectory`, or nil when it has none.
    public static func recorded(in dataDirectory: String) throws -> NodeIdentity? {
        let path = path(in: dataDirectory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeIdentityError("cannot read \(path)")
        }
        do {
            return try JSONDecoder().decode(NodeIdentity.self, from: data)
        } catch {
            throw NodeIdentityError("\(path) is not a node identity ({\"zone\": …, \"node_id\": …}): fix or remove it")
        }
    }

    /// Throws when `dataDirectory` records another identity; returns false when
    /// it records none (a directory from before identities were written).
    public func check(dataDirectory: String) throws -> Bool {
        guard let recorded = try Self.recorded(in: dataDirectory) else { return false }
        guard recorded == self else {
            throw NodeIdentityError(
                "\(dataDirectory) belongs to \(recorded) (\(Self.fileName)), not \(self): check --zone, --node-id and --data-dir")
        }
        return true
    }

    /// For a verifier reading the directory: throws when it records another
    /// identity; hands `warn` a message when it records none (a node from
    /// before identities were written, or one started without them).
    public func verify(dataDirectory: String, warn: (String) -> Void) throws {
        if try check(dataDirectory: dataDirectory) { return }
        warn("\(dataDirectory) has no \(Self.fileName): cannot confirm it is \(self)'s; give its node --zone and --node-id")
    }

    /// Records this identity in `dataDirectory` unless it records one already
    /// (then it must be this one). Written to a temporary file, synced, and
    /// linked into place without replacing: of two nodes racing on one
    /// directory, the second finds the first's identity and refuses.
    public func claim(dataDirectory: String) throws {
        if try check(dataDirectory: dataDirectory) { return }
        let target = Self.path(in: dataDirectory)
        let temporary = "\(target).\(UUID().uuidString).tmp"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard FileManager.default.createFile(atPath: temporary, contents: try encoder.encode(self)) else {
            throw NodeIdentityError("cannot write \(temporary)")
        }
        defer { unlink(temporary) }
        try syncFile(at: temporary)
        if link(temporary, target) != 0 {
            let failure = errno
            guard failure == EEXIST else { throw FileIOError(path: target, operation: "link", errno: failure) }
            _ = try check(dataDirectory: dataDirectory)
            return
        }
        try syncDirectory(containing: target)
    }
}

/// A data directory belongs to another node, or its identity file is unreadable.
public struct NodeIdentityError: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

import Foundation
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilNodeClient
import VigilPostgres

/// A one-zone local cluster for a test, stopped and deleted afterwards.
public func withTestCluster<T: Sendable>(
    zones: [String] = ["zone-a"], nodes: Int = 4, volumeTargetBytes: Int = 256 << 10, verifiers: Bool = false, sampleRate: Double = 0.01,
    _ body: @Sendable (ClusterFile) async throws -> T
) async throws -> T {
    let directory = try makeTemporaryDirectory("vigil-cluster")
    var options = DevClusterOptions(directory: directory.path)
    options.zones = zones
    options.nodesPerZone = nodes
    options.volumeTargetBytes = volumeTargetBytes
    options.fsync = false  // kill -9 keeps the page cache; only power loss needs fsync
    options.masterIntervalMs = 200
    options.verifiers = verifiers
    options.sampleRate = sampleRate
    let cluster = try await DevCluster.up(options, log: { _ in })
    do {
        let result = try await body(cluster)
        // VIGIL_KEEP_CLUSTERS=1 keeps the data and logs for a look afterwards.
        try await DevCluster.down(cluster, purge: ProcessInfo.processInfo.environment["VIGIL_KEEP_CLUSTERS"] != "1")
        return result
    } catch {
        // Keep the logs of a failed run.
        try? await DevCluster.down(cluster, purge: false)
        throw error
    }
}

extension ClusterFile {
    public var index: BlockIndex { BlockIndex(pool: PostgresPool(url: zones[0].database, size: 2)) }

    /// A zone's database (default the first) as `role` logs in to it.
    public func database(as role: DatabaseRole, zone: Int = 0) -> String { role.url(zones[zone].database) }

    public func nodeClient(_ node: ClusterFile.Node, admin: Bool = false) -> NodeClient {
        NodeClient(address: node.address, token: admin ? tokens.admin : tokens.reader)
    }

    /// A client of a zone's frontend (default the first) sending the cluster's
    /// token for `role` (default admin: every role).
    public func frontendClient(_ role: KeyPath<FrontendTokens, String> = \.admin, zone: Int = 0) -> FrontendClient {
        FrontendClient(address: zones[zone].frontend, token: frontendTokens![keyPath: role])
    }

    public func process(named name: String) -> ClusterFile.Process {
        processes.first { $0.name == name }!
    }
}

/// Random bytes of a random size (at least 16), never equal to another block this
/// process made: they start with this process's random nonce and a counter, so two
/// blocks can never share a content-addressed key by chance (tiny sizes used to).
public func randomBlock(_ sizes: ClosedRange<Int> = 16...4096) -> [UInt8] {
    let serial = randomBlockSerial.withLock { serial in
        serial &+= 1
        return serial
    }
    let unique = withUnsafeBytes(of: randomBlockNonce.littleEndian, Array.init) + withUnsafeBytes(of: serial.littleEndian, Array.init)
    let count = max(unique.count, Int.random(in: sizes))
    return unique + (unique.count..<count).map { _ in UInt8.random(in: 0...255) }
}

private let randomBlockNonce = UInt64.random(in: 0...UInt64.max)
private let randomBlockSerial = LockedValue<UInt64>(0)

/// Starts a verifier executable against the cluster's first zone (dev profile);
/// the caller kills it. Its log goes to the cluster's logs directory.
public func spawnVerifier(_ cluster: ClusterFile, _ executable: String, _ arguments: [String], log: String) throws -> Int32 {
    try spawnVerifierServing(cluster, executable, arguments, log: log).pid
}

/// As `spawnVerifier`, also returning the base URL of its `/healthz` and `/metrics`.
public func spawnVerifierServing(_ cluster: ClusterFile, _ executable: String, _ arguments: [String], log: String) throws -> (pid: Int32, url: String) {
    let port = try freeLoopbackPort()
    let pid = try Processes.spawn(
        ["\(Processes.executableDirectory)/\(executable)"] + asOwnRole(arguments, executable) + ["--profile", "dev", "--port", "\(port)"],
        log: "\(cluster.directory)/logs/\(log).log")
    return (pid, "http://127.0.0.1:\(port)")
}

/// A verifier logs in as its own database role, as `vigil dev up` starts it,
/// whatever user the test's URLs name (`--database`, `--journal`, `--zone NAME=URL`):
/// every verifier test also runs under that role's row-level security.
func asOwnRole(_ arguments: [String], _ executable: String) -> [String] {
    guard let role = DatabaseRole.of(executable: executable) else { return arguments }
    return arguments.enumerated().map { i, argument in
        guard i > 0, ["--database", "--journal", "--zone"].contains(arguments[i - 1]) else { return argument }
        guard let url = argument.range(of: "postgresql://") else { return argument }
        return argument[..<url.lowerBound] + role.url(String(argument[url.lowerBound...]))
    }
}

/// CPU seconds (user + system) a process has used, from `/proc/PID/stat`.
public func cpuSeconds(_ pid: Int32) -> Double? {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

/// Kills a process started by a test and collects it.
public func killProcess(_ pid: Int32) {
    kill(pid, SIGKILL)
    Processes.reap(pid)
}

/// Rewrites a sealed extent without one block, as a node losing a record would.
public func rewriteExtent(at path: String, dropping key: BlockKey) throws {
    let reader = try ExtentReader(path: path)
    let entries = try reader.footer() ?? []
    let header = try ExtentReader(path: path).scan().header!
    let staged = path + ".rewrite"
    let writer = try ExtentWriter.create(path: staged, header: header)
    for entry in entries where entry.key != key {
        try writer.append(key: entry.key, data: try reader.readBlock(key: entry.key, at: entry.offset), writtenAtMicros: 1)
    }
    try writer.seal()
    guard rename(staged, path) == 0 else { throw FileIOError(path: path, operation: "rename", errno: errno) }
}

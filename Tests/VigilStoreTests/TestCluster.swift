import Foundation
import VigilCore
import VigilDev
import VigilNodeClient
import VigilPostgres
import VigilTestSupport

/// A one-zone local cluster for a test, stopped and deleted afterwards.
func withTestCluster<T: Sendable>(
    nodes: Int = 4, volumeTargetBytes: Int = 256 << 10, _ body: @Sendable (ClusterFile) async throws -> T
) async throws -> T {
    let directory = try makeTemporaryDirectory("vigil-cluster")
    var options = DevClusterOptions(directory: directory.path)
    options.zones = ["zone-a"]
    options.nodesPerZone = nodes
    options.volumeTargetBytes = volumeTargetBytes
    options.fsync = false  // kill -9 keeps the page cache; only power loss needs fsync
    options.masterIntervalMs = 200
    let cluster = try await DevCluster.up(options, log: { _ in })
    do {
        let result = try await body(cluster)
        try await DevCluster.down(cluster, purge: true)
        return result
    } catch {
        // Keep the logs of a failed run.
        try? await DevCluster.down(cluster, purge: false)
        throw error
    }
}

extension ClusterFile {
    var index: BlockIndex { BlockIndex(pool: PostgresPool(url: zones[0].database, size: 2)) }

    func nodeClient(_ node: ClusterFile.Node, admin: Bool = false) -> NodeClient {
        NodeClient(address: node.address, token: admin ? tokens.admin : tokens.reader)
    }

    func process(named name: String) -> ClusterFile.Process {
        processes.first { $0.name == name }!
    }
}

/// Random bytes of a random size.
func randomBlock(_ sizes: ClosedRange<Int> = 1...4096) -> [UInt8] {
    (0..<Int.random(in: sizes)).map { _ in UInt8.random(in: 0...255) }
}

import Foundation
import VigilCore
import VigilDev
import VigilFrontendClient

/// Frontend PUT and GET throughput with every verifier running at its default
/// production rates, against the same with none. One local cluster (one zone,
/// 4 nodes, fsync on) with the verifiers started; "none" stops them with
/// SIGSTOP and "all" resumes them with SIGCONT (then waits two seconds, so
/// that their catching up falls in no window). Short windows alternate so that
/// the machine's drift falls on both sides alike.
enum FrontendBench {
    static let verifierRoles = ["metadata-scanner", "trash-inspector", "storage-watcher", "disk-scrubber", "extent-referee", "cross-zone-verifier"]

    /// PUTs per second of 16 KiB blocks from 16 clients, fsync on, before group
    /// commit (README "Benchmarks"): the figure the PUT rate is set against.
    static let putRateBeforeGroupCommit = 273.0

    static func run(directory: URL, windowSeconds: Int, rounds: Int, blockBytes: Int, concurrency: Int, operations: [String]) async throws {
        var options = DevClusterOptions(directory: directory.path)
        options.zones = ["zone-a"]
        options.verifierProfile = "production"
        options.volumeTargetBytes = 64 << 20
        let cluster = try await DevCluster.up(options, log: { _ in })
        do {
            try await measure(cluster, windowSeconds: windowSeconds, rounds: rounds, blockBytes: blockBytes, concurrency: concurrency, operations: operations)
        } catch {
            try? await DevCluster.down(cluster, purge: true)
            throw error
        }
        try await DevCluster.down(cluster, purge: true)
    }

    static func measure(_ cluster: ClusterFile, windowSeconds: Int, rounds: Int, blockBytes: Int, concurrency: Int, operations: [String]) async throws {
        let verifiers = cluster.processes.filter { p in verifierRoles.contains { p.name.hasSuffix($0) } }
        func setVerifiers(running: Bool) { for p in verifiers { kill(p.pid, running ? SIGCONT : SIGSTOP) } }
        defer { setVerifiers(running: true) }
        print("frontend_cluster: 1 zone, 4 nodes, R=3, fsync on, \(verifiers.count) verifier processes at production rates, \(blockBytes) B blocks, \(concurrency) clients")

        // Puts and reads back: the admin token holds both roles.
        let frontend = FrontendClient(address: cluster.zones[0].frontend, token: cluster.frontendTokens?.admin)
        let written = LockedValue<[BlockKey]>([])
        var perSide: [String: [Bool: (ops: Int, seconds: Double)]] = [:]
        var verifierCPU: [String: Double] = [:]
        // GETs read what the PUT windows wrote; alone, they read a first batch.
        if !operations.contains("put") {
            _ = try await load("put", frontend: frontend, written: written, seconds: 2, blockBytes: blockBytes, concurrency: concurrency)
        }
        for operation in ["put", "get"] where operations.contains(operation) {
            for round in 0..<rounds {
                // Alternate which side goes first, so neither always follows the other.
                for running in round % 2 == 0 ? [false, true] : [true, false] {
                    setVerifiers(running: running)
                    // Resumed verifiers first catch up on what they missed while stopped
                    // (samples, events): that work belongs to no window.
                    try await Task.sleep(for: .seconds(2))
                    let cpuBefore = cpuSeconds(verifiers.map(\.pid))
                    let (ops, elapsed) = try await load(operation, frontend: frontend, written: written, seconds: windowSeconds, blockBytes: blockBytes, concurrency: concurrency)
                    let sum = perSide[operation, default: [:]][running, default: (0, 0)]
                    perSide[operation, default: [:]][running] = (sum.ops + ops, sum.seconds + elapsed)
                    if running { verifierCPU[operation, default: 0] += cpuSeconds(verifiers.map(\.pid)) - cpuBefore }
                }
            }
            let none = perSide[operation]![false]!
            let all = perSide[operation]![true]!
            let noneRate = Double(none.ops) / none.seconds
            let allRate = Double(all.ops) / all.seconds
            figure("frontend_\(operation)_per_s_no_verifiers", noneRate, "ops/s")
            figure("frontend_\(operation)_per_s_all_verifiers", allRate, "ops/s")
            figure("frontend_\(operation)_with_verifiers_ratio", allRate / noneRate)
            if operation == "put" {
                figure("frontend_put_per_s_before_group_commit", putRateBeforeGroupCommit, "ops/s (recorded, Intel Xeon 2-core)")
                figure("frontend_put_group_commit_ratio", noneRate / putRateBeforeGroupCommit)
            }
            // The direct measure, free of the disk's noise: CPU the verifiers took during the load.
            figure("verifiers_cpu_share_during_\(operation)", verifierCPU[operation, default: 0] / all.seconds / Double(ProcessInfo.processInfo.activeProcessorCount), "of the machine")
        }
    }

    /// Runs `concurrency` clients doing `operation` for `seconds`; returns the successful operations and the time taken.
    static func load(_ operation: String, frontend: FrontendClient, written: LockedValue<[BlockKey]>, seconds: Int, blockBytes: Int, concurrency: Int) async throws -> (Int, Double) {
        let deadline = ContinuousClock.now + .seconds(seconds)
        return try await timed {
            try await withThrowingTaskGroup(of: Int.self) { group in
                for client in 0..<concurrency {
                    group.addTask {
                        var done = 0
                        var counter = UInt64(client) << 40 | UInt64.random(in: 0..<(1 << 32))
                        var data = [UInt8](repeating: 0, count: blockBytes)
                        while ContinuousClock.now < deadline {
                            if operation == "put" {
                                counter &+= 1
                                withUnsafeBytes(of: counter) { for (i, b) in $0.enumerated() { data[i] = b } }
                                let result = try await frontend.put(data)
                                if let key = BlockKey(hex: result.key) { written.withLock { $0.append(key) } }
                            } else {
                                guard let key = written.withLock({ $0.randomElement() }) else { return done }
                                guard case .found(let bytes) = try await frontend.get(key), BlockKey.of(bytes) == key else {
                                    throw DevClusterError("GET \(key.hex) did not return the block")
                                }
                            }
                            done += 1
                        }
                        return done
                    }
                }
                return try await group.reduce(0, +)
            }
        }
    }
}

/// User + system CPU seconds of `pids` so far, from /proc/PID/stat.
func cpuSeconds(_ pids: [Int32]) -> Double {
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    return pids.reduce(0) { total, pid in
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")") else { return total }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        // After the command: state is field 3, utime field 14, stime field 15.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return total }
        return total + (user + system) / ticks
    }
}

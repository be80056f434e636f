import Foundation
import VigilCore
import VigilVerifier

/// Disk scrubber read-and-verify rate against OpenSSL's and coreutils' SHA-256
/// over the same files, and how closely the rate limit is held.
enum ScrubberBench {
    static func run(directory: URL, megabytes: Int) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let block = 1 << 20
        let perExtent = 64
        var paths: [String] = []
        var written = 0
        var seed: UInt64 = 1
        while written < megabytes {
            let path = directory.appendingPathComponent("v\(paths.count + 1).g1.extent").path
            let writer = try ExtentWriter.create(path: path, header: ExtentHeader(volume: UInt64(paths.count + 1), generation: 1, createdAtMicros: 0))
            for _ in 0..<min(perExtent, megabytes - written) {
                var data = [UInt8](repeating: 0, count: block)
                data.withUnsafeMutableBytes { raw in
                    for i in stride(from: 0, to: block, by: 8) {
                        seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                        raw.storeBytes(of: seed, toByteOffset: i, as: UInt64.self)
                    }
                }
                try writer.append(key: BlockKey.of(data), data: data, writtenAtMicros: 0)
                written += 1
            }
            try writer.seal()
            paths.append(path)
        }
        let bytes = Double(paths.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? NSNumber)?.doubleValue ?? 0) })
        // Warm the page cache so every contender reads from memory.
        for path in paths { _ = try? Data(contentsOf: URL(fileURLWithPath: path)) }

        let (_, scrub) = try await timed {
            for path in paths {
                let report = try ExtentReader(path: path).scan()
                precondition(report.isClean)
            }
        }
        let (_, openssl) = try await timed { try Command.run(["openssl", "dgst", "-sha256"] + paths) }
        let (_, coreutils) = try await timed { try Command.run(["sha256sum"] + paths) }
        figure("scrubber_mb_per_s", bytes / scrub / 1e6, "MB/s")
        figure("openssl_sha256_mb_per_s", bytes / openssl / 1e6, "MB/s")
        figure("coreutils_sha256sum_mb_per_s", bytes / coreutils / 1e6, "MB/s")
        figure("scrubber_vs_openssl_ratio", openssl / scrub)
        figure("scrubber_vs_sha256sum_ratio", coreutils / scrub)

        // The rate limit: 200 MB/s asked, over the same files.
        let limit = 200e6
        let limiter = SharedRateLimiter(rate: limit, burst: Double(16 << 20))
        let subset = Array(paths.prefix(max(1, paths.count / 2)))
        let subsetBytes = Double(subset.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? NSNumber)?.doubleValue ?? 0) })
        let (_, limited) = try await timed {
            for path in subset { _ = try ExtentReader(path: path).scan(onRead: { limiter.throttle($0) }) }
        }
        figure("scrubber_rate_limit_mb_per_s", limit / 1e6, "MB/s")
        figure("scrubber_rate_limited_mb_per_s", subsetBytes / limited / 1e6, "MB/s")
        figure("scrubber_rate_limited_vs_limit_ratio", subsetBytes / limited / limit)
    }
}

import VigilCore
import VigilFrontendClient

/// The chaos run's clients: writes, reads of what was written, and deletes of a
/// quarter as many blocks as are written, all through the frontend as a user
/// would, every answer recorded in the ledger. Failures are expected (daemons
/// die under it) and only leave the ledger as uncertain as the client is.
struct ChaosLoad: Sendable {
    let frontend: FrontendClient
    let ledger: LockedValue<ChaosLedger>
    let stop: LockedValue<Bool>

    /// Until the run stops it (or its task is cancelled).
    var running: Bool { !stop.value && !Task.isCancelled }

    func run() async {
        var serial = UInt64.random(in: 0...UInt64.max)
        var rng = SystemRandomNumberGenerator()
        while running {
            serial &+= 1
            if let result = try? await frontend.put(Self.block(serial)), let key = BlockKey(hex: result.key) {
                ledger.withLock { $0.wrote(key, volume: result.volume) }
            }
            if let key = ledger.withLock({ $0.randomLive(using: &rng) }) { _ = try? await frontend.get(key) }
            if serial % 4 == 0, let key = ledger.withLock({ $0.takeRandom(using: &rng) }) {
                await delete([key])
            }
        }
    }

    /// Deletes taken blocks through the frontend, recording each answer.
    func delete(_ keys: [BlockKey]) async {
        for key in keys {
            let acknowledged = (try? await frontend.delete(key)) != nil
            ledger.withLock { $0.settle(key, acknowledged: acknowledged) }
        }
    }

    /// 64 to 4,159 bytes that no other serial produces (its eight bytes lead).
    static func block(_ serial: UInt64) -> [UInt8] {
        let head = (0..<8).map { UInt8(truncatingIfNeeded: serial >> ($0 * 8)) }
        return head + (8..<Int(serial % 4096 + 64)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(truncatingIfNeeded: serial >> ($0 % 8 * 8))) }
    }
}

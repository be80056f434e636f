import VigilCore

/// What the chaos run's clients were told: blocks acknowledged (and the volume
/// the frontend put each in), blocks whose delete was acknowledged, and blocks
/// whose delete was sent but not answered (the frontend may have died after
/// committing it). The settle phase holds the store to exactly this.
struct ChaosLedger: Sendable {
    private(set) var live: [BlockKey] = []
    private(set) var volumeOf: [BlockKey: Int64] = [:]
    private(set) var deleted: Set<BlockKey> = []
    private(set) var uncertain: Set<BlockKey> = []

    var written: Int { live.count + deleted.count + uncertain.count }

    mutating func wrote(_ key: BlockKey, volume: Int64?) {
        guard volumeOf[key] == nil, !deleted.contains(key), !uncertain.contains(key) else { return }
        live.append(key)
        volumeOf[key] = volume ?? -1
    }

    /// Takes a live block to delete; it is live no longer until `settle` says how the delete went.
    mutating func takeRandom(using rng: inout some RandomNumberGenerator) -> BlockKey? {
        live.isEmpty ? nil : live.remove(at: Int.random(in: 0..<live.count, using: &rng))
    }

    /// Takes up to `count` live blocks the frontend put in `volume`.
    mutating func take(_ count: Int, in volume: Int64) -> [BlockKey] {
        var taken: [BlockKey] = []
        live.removeAll { key in
            guard taken.count < count, volumeOf[key] == volume else { return false }
            taken.append(key)
            return true
        }
        return taken
    }

    /// How many live blocks the frontend put in each volume.
    var liveByVolume: [Int64: Int] { live.reduce(into: [:]) { $0[volumeOf[$1]!, default: 0] += 1 } }

    func randomLive(using rng: inout some RandomNumberGenerator) -> BlockKey? { live.randomElement(using: &rng) }

    /// Records how a delete of a taken block went: acknowledged, or sent with no answer.
    mutating func settle(_ key: BlockKey, acknowledged: Bool) {
        if acknowledged { deleted.insert(key) } else { uncertain.insert(key) }
    }
}

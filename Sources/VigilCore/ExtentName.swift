/// An extent's file name: `v<VOLUME>.g<GENERATION>.extent`. Parsing is strict,
/// so no name from a request can reach outside the data directory, and
/// canonical: one identity has one name (`v04.g1.extent` is not volume 4's
/// extent, it is a stray file), so no alias can hide beside the real file.
public struct ExtentName: Hashable, Sendable, CustomStringConvertible {
    public var volume: UInt64
    public var generation: UInt32

    public init(volume: UInt64, generation: UInt32) {
        self.volume = volume
        self.generation = generation
    }

    public init?(_ name: some StringProtocol) {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2] == "extent",
              parts[0].first == "v", parts[1].first == "g",
              parts[0].count <= 21, parts[1].count <= 11,
              parts[0].dropFirst().allSatisfy(\.isASCIIDigit), parts[1].dropFirst().allSatisfy(\.isASCIIDigit),
              let volume = UInt64(parts[0].dropFirst()), let generation = UInt32(parts[1].dropFirst())
        else { return nil }
        self.init(volume: volume, generation: generation)
        guard description == name else { return nil }
    }

    public var description: String { "v\(volume).g\(generation).extent" }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

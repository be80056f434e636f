import VigilCore

/// Where the cross-zone verifier is: phase 0 walks the journal (file → zones);
/// phase k walks zone k-1's index (zone → journal). After the last key seen.
public struct CrossZoneCursor: Codable, Sendable, Equatable {
    var phase = 0
    var lastKey: BlockKey?
    var lastFile: Int64 = 0

    init() {}
}

import VigilCore

/// What a node refuses, with the HTTP status and stable code the API returns.
public enum NodeError: Error, Sendable, CustomStringConvertible {
    case unknownVolume(UInt64)
    case generationConflict(volume: UInt64, existing: UInt32)
    case sealed(volume: UInt64, damaged: Bool)
    case keyMismatch(expected: BlockKey, actual: BlockKey)
    case notFound(key: BlockKey, volume: UInt64)
    case corruptRecord(String)
    case badExtent(String)
    case noSuchExtent(String)
    /// A move would replace a file already at its target (`trash/…` or `extents/…`).
    case alreadyExists(String)
    /// The volume's extent kept changing on disk while the node looked; retry.
    case extentChanging(volume: UInt64)
    /// An install found an extent of the volume in `extents/`: never installed over.
    case extentLive(volume: UInt64, existing: String)

    public var code: String {
        switch self {
        case .unknownVolume: "unknown_volume"
        case .generationConflict: "generation_conflict"
        case .sealed: "sealed"
        case .keyMismatch: "key_mismatch"
        case .notFound: "not_found"
        case .corruptRecord: "corrupt_record"
        case .badExtent: "bad_extent"
        case .noSuchExtent: "no_such_extent"
        case .alreadyExists: "already_exists"
        case .extentChanging: "extent_changing"
        case .extentLive: "extent_live"
        }
    }

    public var status: Int {
        switch self {
        case .unknownVolume, .notFound, .noSuchExtent: 404
        case .generationConflict, .sealed, .alreadyExists, .extentLive: 409
        case .keyMismatch, .badExtent: 422
        case .corruptRecord: 500
        case .extentChanging: 503
        }
    }

    public var description: String {
        switch self {
        case .unknownVolume(let v): "volume \(v) has no extent on this node; create it with PUT /v1/volumes/\(v)"
        case .generationConflict(let v, let g): "volume \(v) is at generation \(g) on this node"
        case .sealed(let v, let damaged): damaged ? "volume \(v)'s extent is damaged and takes no writes" : "volume \(v) is sealed; write to an open volume"
        case .keyMismatch(let e, let a): "SHA-256 of the body is \(a), not the key \(e)"
        case .notFound(let k, let v): "block \(k) is not in volume \(v) on this node"
        case .corruptRecord(let d): "the stored record failed verification: \(d)"
        case .badExtent(let d): "extent does not verify: \(d)"
        case .noSuchExtent(let n): "no extent \(n)"
        case .alreadyExists(let p):
            "\(p) already exists and the node never replaces it; unlink or restore that file first, or check why it is there"
        case .extentChanging(let v): "volume \(v)'s extent changed on disk while being read; retry"
        case .extentLive(let v, let existing):
            "volume \(v) already has extents/\(existing); the node never installs over an extent: move it to trash by a recorded instruction first (POST /v1/extents/\(existing)/trash?instruction=ID)"
        }
    }
}

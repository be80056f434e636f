import VigilCore

/// What happened to an extent, once inotify's events are paired up.
enum Transition: Sendable, Equatable {
    /// extents/ → trash/ under the same name.
    case trashed(ExtentName)
    /// trash/ → extents/.
    case restored(ExtentName)
    /// A staged copy renamed over an extent name (how installs were done before
    /// they became no-replace links).
    case installed(ExtentName)
    /// A new name in extents/: an install (a verified copy linked into place) or
    /// a volume the node created. Justified only by a recorded install
    /// instruction, or by the index having just created the volume on this node.
    case appeared(ExtentName)
    case deletedFromExtents(ExtentName)
    case unlinkedFromTrash(ExtentName)
    /// Left the watched directories, or was renamed to anything but its trash name.
    case movedAway(ExtentName, to: String)
    case overflow
}

extension Transition {
    /// The file name that arrived in extents/ (an install or an appearance).
    var arrivedName: String? {
        switch self {
        case .installed(let name), .appeared(let name): name.description
        default: nil
        }
    }
}

/// Pairs rename halves by cookie. A move-from whose move-to has not arrived by
/// the next batch left the watched directories. A no-replace move (link the new
/// name, sync, unlink the old: how the node trashes and restores) pairs a name
/// created in one directory with the same name deleted from the other; a name
/// created in extents/ that no such deletion follows within `createdPatience`
/// batches appeared there (an install or a new volume). Pure: unit-tested without inotify.
struct TransitionPairing {
    private var pendingFrom: [UInt32: DirectoryEvent] = [:]
    /// "directory/name" → the creation and how many batches it has waited.
    private var pendingCreated: [String: (event: DirectoryEvent, age: Int)] = [:]
    /// Batches (of up to 200 ms) a creation waits for its old name's deletion.
    static let createdPatience = 10

    mutating func feed(_ events: [DirectoryEvent]) -> [Transition] {
        var out: [Transition] = []
        // Halves left over from the previous batch and not completed now moved away.
        let carried = pendingFrom
        pendingFrom = [:]
        var froms = carried
        for event in events {
            switch event.kind {
            case .overflow:
                out.append(.overflow)
            case .movedFrom:
                froms[event.cookie] = event
            case .movedTo:
                let source = froms.removeValue(forKey: event.cookie)
                out += classifyMove(from: source, to: event)
            case .deleted:
                guard let name = ExtentName(event.name) else { continue }
                let other = event.directory == "extents" ? "trash" : "extents"
                if pendingCreated.removeValue(forKey: "\(other)/\(event.name)") != nil {
                    out.append(event.directory == "extents" ? .trashed(name) : .restored(name))
                } else {
                    out.append(event.directory == "extents" ? .deletedFromExtents(name) : .unlinkedFromTrash(name))
                }
            case .created:
                guard ExtentName(event.name) != nil else { continue }
                pendingCreated["\(event.directory)/\(event.name)"] = (event, 0)
            }
        }
        for (key, pending) in pendingCreated {
            if pending.age + 1 >= Self.createdPatience {
                pendingCreated.removeValue(forKey: key)
                // A copy into trash/ is not a move out of extents/: nothing to judge.
                if pending.event.directory == "extents", let name = ExtentName(pending.event.name) { out.append(.appeared(name)) }
            } else {
                pendingCreated[key] = (pending.event, pending.age + 1)
            }
        }
        for (cookie, event) in froms {
            if carried[cookie] != nil {
                if let name = ExtentName(event.name), event.directory == "extents" { out.append(.movedAway(name, to: "outside the data directory")) }
            } else {
                pendingFrom[cookie] = event  // its other half may come in the next batch
            }
        }
        return out
    }

    private func classifyMove(from source: DirectoryEvent?, to target: DirectoryEvent) -> [Transition] {
        let targetName = ExtentName(target.name)
        guard let source else { return [] }  // moved in from outside: not an extent leaving
        let sourceName = ExtentName(source.name)
        switch (source.directory, target.directory) {
        case ("extents", "trash") where sourceName != nil && sourceName == targetName:
            return [.trashed(sourceName!)]
        case ("trash", "extents") where sourceName != nil && sourceName == targetName:
            return [.restored(sourceName!)]
        case ("extents", "extents") where sourceName == nil && targetName != nil && source.name.hasPrefix(target.name + ".incoming-"):
            return [.installed(targetName!)]
        default:
            guard let sourceName, source.directory == "extents" else { return [] }
            return [.movedAway(sourceName, to: "\(target.directory)/\(target.name)")]
        }
    }
}

import Foundation
import Logging
import VigilCore
import VigilPostgres
import VigilVerifier

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}

extension ExtentReferee {
    var retentionSeconds: Double { Double(config.retention.components.seconds) + Double(config.retention.components.attoseconds) / 1e18 }

    func subject(_ name: ExtentName) -> String { "node/\(config.nodeID)/\(name)" }

    func finding(_ kind: FindingKind, _ name: ExtentName, _ detail: String) -> Finding {
        Finding(kind, subject: subject(name), details: [
            "zone": config.zone, "node": "\(config.nodeID)", "extent": name.description, "volume": "\(name.volume)", "detail": detail,
        ])
    }

    /// Whether an instruction of `kind` is recorded for the extent (none can be
    /// for a name whose volume id no index can hold).
    func hasInstruction(_ kind: String, _ name: ExtentName) async throws -> Bool {
        guard let volume = Int64(exactly: name.volume) else { return false }
        return try await !index.instructions(kind: kind, node: config.nodeID, volume: volume, generation: Int(name.generation)).isEmpty
    }

    /// How long after the index created a volume on this node its extent may
    /// appear without an install instruction (the node creates it right after).
    static let newVolumeSeconds = 120.0

    /// Whether an extent that appeared in extents/ is an instructed install (as
    /// of `watermark`, the instruction id read when its arrival was seen, the
    /// latest instruction for exactly this generation was an install) or a
    /// volume the index just created on this node.
    func installJustified(_ name: ExtentName, asOf watermark: Int64) async throws -> Bool {
        guard let volume = Int64(exactly: name.volume) else { return false }
        if try await index.installPrecedes(node: config.nodeID, volume: volume, generation: Int(name.generation), asOf: watermark) { return true }
        return try await index.isNewVolume(node: config.nodeID, volume: volume, generation: Int(name.generation), withinSeconds: Self.newVolumeSeconds)
    }

    /// Checks one transition against the instructions recorded up to
    /// `watermark` (for an arrival in extents/; nil: the index's newest now).
    func judge(_ transition: Transition, asOf watermark: Int64? = nil) async throws {
        var findings: [Finding] = []
        switch transition {
        case .trashed(let name):
            if try await !hasInstruction("trash", name) {
                findings.append(finding(.unjustifiedTrash, name, "moved into trash/ with no recorded delete instruction"))
            }
        case .restored(let name):
            if try await !hasInstruction("restore", name) {
                findings.append(finding(.unjustifiedRestore, name, "moved back from trash/ with no recorded restore instruction"))
            }
        case .installed(let name), .appeared(let name):
            let mark = if let watermark { watermark } else { try await index.instructionWatermark() }
            if try await installJustified(name, asOf: mark) {
                logger.info("extent appeared by a recorded install or a new volume", metadata: ["vigil.extent": "\(name)"])
            } else {
                findings.append(finding(.unjustifiedInstall, name, "appeared in extents/ with no recorded install instruction for this generation, and is no volume the index just created here"))
            }
        case .deletedFromExtents(let name):
            findings.append(finding(.extentDeleted, name, "unlinked from extents/: extents are only ever unlinked from trash/"))
        case .movedAway(let name, let to):
            findings.append(finding(.extentMovedOut, name, "moved from extents/ to \(to)"))
        case .unlinkedFromTrash(let name):
            let instructed = try await hasInstruction("unlink", name)
            let inspected = try await Int64(exactly: name.volume).asyncMap {
                try await index.unlinkableInspection(node: config.nodeID, volume: $0, generation: Int(name.generation), retentionSeconds: retentionSeconds)
            } ?? false
            if !(instructed && inspected) {
                findings.append(finding(.unjustifiedUnlink, name, "unlinked from trash/ without an unlink instruction after a passed inspection and the retention period"))
            }
        case .overflow:
            return
        }
        for f in findings {
            logger.critical("unjustified extent transition", metadata: ["vigil.kind": "\(f.kind)", "vigil.subject": "\(f.subject)"])
        }
        var outcome = StepOutcome()
        outcome.items = 1
        outcome.findings = findings
        try await book.record(outcome, lane: Lane.events.rawValue)
    }

    /// Compares the directories with the index: every live replica of this node
    /// has its extent in extents/ (under its name, with a header naming it), no
    /// extent an executed trash instruction moved out is back in extents/ without
    /// an install or restore instruction since, every trash extent has a trash instruction, every trashed replica is in
    /// trash/ or was unlinked by instruction. A finding stays open while its
    /// condition lasts: an extent's findings are resolved only once it is where
    /// the index says, with the right header, and no unjustified trash remains.
    func reconcile() async throws {
        let pass = try await ledger.startOrResumePass()
        let extents = Set(((try? FileManager.default.contentsOfDirectory(atPath: config.dataDirectory + "/extents")) ?? []).compactMap(ExtentName.init))
        let trash = Set(((try? FileManager.default.contentsOfDirectory(atPath: config.dataDirectory + "/trash")) ?? []).compactMap(ExtentName.init))
        let replicas = try await index.pool.withConnection { [config] c in
            // A replica row younger than the settle time may be one whose extent the node is creating now.
            let rows = try await c.query("""
                SELECT volume_id, generation, state, updated_at < now() - interval '10 seconds' FROM volume_replicas WHERE node_id = $1
                """, [.int32(Int32(config.nodeID))])
            return try (0..<rows.count).compactMap { i -> (ExtentName, String)? in
                guard try rows.bool(i, 3) else { return nil }
                return (ExtentName(volume: UInt64(try rows.int64(i, 0)), generation: UInt32(try rows.int(i, 1))), rows.string(i, 2))
            }
        }
        let states = Dictionary(replicas.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        // Every replica row of this node (any age or state) and every extent installed by instruction.
        let known = try await index.replicaNames(node: config.nodeID).union(index.installedExtents(node: config.nodeID))
        // Moved to trash by an executed instruction, not installed or restored since.
        let trashedForGood = try await index.trashedSinceLastInstall(node: config.nodeID)
        var findings: [Finding] = []
        var clean: [String] = []
        for name in Set(states.keys).union(trash).union(extents) {
            var conditions: [Finding] = []
            let state = states[name]
            if state == "live", !extents.contains(name) {
                conditions.append(finding(.extentMissing, name, "the index says this node holds a live replica; extents/ does not have it"))
            }
            if state == "trashed", !trash.contains(name), !extents.contains(name), try await !hasInstruction("unlink", name) {
                conditions.append(finding(.unjustifiedUnlink, name, "gone from trash/ with no unlink instruction"))
            }
            let key = [Int64(clamping: name.volume), Int64(name.generation)]
            if extents.contains(name), state != "live", trashedForGood.contains(key), inExtentsNow(name) {
                // Listed before the index was read, and still there after: the trash
                // executed before the listing, and the extent came back without instruction.
                conditions.append(finding(.unjustifiedRestore, name, "in extents/ although an executed trash instruction moved it to trash/, with no install or restore instruction since"))
            } else if extents.contains(name), !known.contains(key) {
                conditions.append(finding(.unjustifiedInstall, name, "in extents/ with no replica row on this node and no recorded install instruction"))
            }
            if trash.contains(name), try await !hasInstruction("trash", name) {
                conditions.append(finding(.unjustifiedTrash, name, "in trash/ with no recorded delete instruction"))
            }
            findings += conditions
            // Where the index says it should be, and the file there is that extent.
            let inPlace = state != "live" || (extents.contains(name) && headerNames(name))
            if conditions.isEmpty && inPlace { clean.append(subject(name)) }
        }
        let stray = try await strayFiles()
        var outcome = StepOutcome()
        outcome.items = states.count + trash.count
        outcome.findings = findings + stray.findings
        outcome.observedSubjects = clean + stray.gone
        try await book.record(outcome, lane: Lane.reconcile.rawValue)
        var done = pass
        done.itemsChecked = Int64(replicas.count + trash.count)
        try await ledger.complete(done)
        metrics.passes.increment()
        metrics.lastComplete.record(Date().timeIntervalSince1970)
        logger.info("reconciled directories with the index", metadata: ["vigil.findings": "\(findings.count)", "vigil.replicas": "\(replicas.count)"])
    }

    func inExtentsNow(_ name: ExtentName) -> Bool {
        FileManager.default.fileExists(atPath: "\(config.dataDirectory)/extents/\(name)")
    }

    /// Whether the extent file at `extents/NAME` has a header naming that volume
    /// and generation (a file renamed over another has valid bytes and the wrong header).
    func headerNames(_ name: ExtentName) -> Bool {
        guard let reader = try? ExtentReader(path: "\(config.dataDirectory)/extents/\(name)") else { return false }
        guard let header = (try? reader.header()) ?? nil else { return true }  // unreadable or damaged headers are the scrubber's to judge
        return header.volume == name.volume && header.generation == name.generation
    }
}

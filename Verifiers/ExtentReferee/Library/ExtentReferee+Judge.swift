import Foundation
import Logging
import VigilCore
import VigilPostgres
import VigilVerifier

extension ExtentReferee {
    var retentionSeconds: Double { Double(config.retention.components.seconds) + Double(config.retention.components.attoseconds) / 1e18 }

    func subject(_ name: ExtentName) -> String { "node/\(config.nodeID)/\(name)" }

    func finding(_ kind: String, _ name: ExtentName, _ detail: String) -> Finding {
        Finding(kind: kind, subject: subject(name), severity: .critical, details: [
            "zone": config.zone, "node": "\(config.nodeID)", "extent": name.description, "volume": "\(name.volume)", "detail": detail,
        ])
    }

    func hasInstruction(_ kind: String, _ name: ExtentName) async throws -> Bool {
        try await !index.instructions(kind: kind, node: config.nodeID, volume: Int64(name.volume), generation: Int(name.generation)).isEmpty
    }

    /// Checks one transition against the recorded instructions.
    func judge(_ transition: Transition) async throws {
        var findings: [Finding] = []
        switch transition {
        case .trashed(let name):
            if try await !hasInstruction("trash", name) {
                findings.append(finding("unjustified_trash", name, "moved into trash/ with no recorded delete instruction"))
            }
        case .restored(let name):
            if try await !hasInstruction("restore", name) {
                findings.append(finding("unjustified_restore", name, "moved back from trash/ with no recorded restore instruction"))
            }
        case .installed(let name):
            logger.info("extent replaced by a verified copy", metadata: ["vigil.extent": "\(name)"])
        case .deletedFromExtents(let name):
            findings.append(finding("extent_deleted", name, "unlinked from extents/: extents are only ever unlinked from trash/"))
        case .movedAway(let name, let to):
            findings.append(finding("extent_moved_out", name, "moved from extents/ to \(to)"))
        case .unlinkedFromTrash(let name):
            let instructed = try await hasInstruction("unlink", name)
            let inspected = try await index.unlinkableInspection(
                node: config.nodeID, volume: Int64(name.volume), generation: Int(name.generation), retentionSeconds: retentionSeconds)
            if !(instructed && inspected) {
                findings.append(finding("unjustified_unlink", name, "unlinked from trash/ without an unlink instruction after a passed inspection and the retention period"))
            }
        case .overflow:
            return
        }
        for f in findings {
            logger.critical("unjustified extent transition", metadata: ["vigil.kind": "\(f.kind)", "vigil.subject": "\(f.subject)"])
        }
        try await ledger.report(findings)
    }

    /// Compares the directories with the index: every live replica of this node
    /// has its extent in extents/, every trash extent has a trash instruction,
    /// every trashed replica is in trash/ or was unlinked by instruction.
    func reconcile() async throws {
        let pass = try await ledger.startOrResumePass()
        let extents = Set(((try? FileManager.default.contentsOfDirectory(atPath: config.dataDirectory + "/extents")) ?? []).compactMap(ExtentName.init))
        let trash = Set(((try? FileManager.default.contentsOfDirectory(atPath: config.dataDirectory + "/trash")) ?? []).compactMap(ExtentName.init))
        let replicas = try await index.pool.withConnection { [config] c in
            let rows = try await c.query("SELECT volume_id, generation, state FROM volume_replicas WHERE node_id = $1", [.int32(Int32(config.nodeID))])
            return try (0..<rows.count).map { (ExtentName(volume: UInt64(try rows.int64($0, 0)), generation: UInt32(try rows.int($0, 1))), rows.string($0, 2)) }
        }
        var findings: [Finding] = []
        var clean: [String] = []
        for (name, state) in replicas {
            switch state {
            case "live" where !extents.contains(name):
                findings.append(finding("extent_missing", name, "the index says this node holds a live replica; extents/ does not have it"))
            case "trashed" where !trash.contains(name) && !extents.contains(name):
                if try await !hasInstruction("unlink", name) {
                    findings.append(finding("unjustified_unlink", name, "gone from trash/ with no unlink instruction"))
                }
            default:
                if extents.contains(name) { clean.append(subject(name)) }
            }
        }
        for name in trash where try await !hasInstruction("trash", name) {
            findings.append(finding("unjustified_trash", name, "in trash/ with no recorded delete instruction"))
        }
        var outcome = StepOutcome(cursor: [], passComplete: true)
        outcome.findings = findings
        outcome.cleanPrefixes = clean
        try await ledger.apply(outcome)
        var done = pass
        done.itemsChecked = Int64(replicas.count + trash.count)
        try await ledger.complete(done)
        logger.info("reconciled directories with the index", metadata: ["vigil.findings": "\(findings.count)", "vigil.replicas": "\(replicas.count)"])
    }
}

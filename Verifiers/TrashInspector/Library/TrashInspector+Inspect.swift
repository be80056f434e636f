import Foundation
import Logging
import VigilCore
import VigilLedger
import VigilNodeClient
import VigilPostgres
import VigilVerifier

extension TrashInspector {
    /// Inspects one trash extent: records a pass or a failure, or — when a peer
    /// it needed did not answer — nothing at all. An extent that passed before on
    /// what still holds (`stillPasses`) is counted without being read. `file`: what
    /// its node listed at the pass start; `silent`: nodes that did not answer then.
    func inspect(_ node: NodeRecord, _ name: ExtentName, file: TrashFileStat, silent: UnjudgedPeers = UnjudgedPeers()) async throws -> StepOutcome {
        var outcome = StepOutcome()
        let position = Self.position(node, name), subject = Self.subject(node: node.id, name)
        if try await stillPasses(at: position, node: node.id, name, file: file) {
            outcome.items = 1
            outcome.cleanPrefixes.append(subject)
            return outcome
        }
        let started = ContinuousClock.now
        var peers = UnjudgedPeers()
        let staged = "\(config.workDirectory)/inspect-\(UUID().uuidString).extent"
        try FileManager.default.createDirectory(atPath: config.workDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: staged) }
        var contents = TrashExtentContents()
        do {
            try await client(node).downloadExtent(name, location: "trash", to: staged)
            let expectSealed = try await volumeWasSealed(Int64(name.volume))
            (contents, outcome.bytes) = try await blockingIO {
                (try TrashExtentContents.read(path: staged, name: name, expectSealed: expectSealed), Int(try FileStatus.of(path: staged).size))
            }
        } catch let error as NodeClientError where error.isNotFound {
            return outcome  // unlinked or restored meanwhile: the pass end settles its finding
        } catch let error as NodeClientError where UnjudgedPeers.trouble(error) != nil {
            peers.note(node, error)
            peers.apply(to: &outcome, zone: config.zone)
            return outcome
        } catch let error as NodeClientError {
            // The node answered, but not with the extent (e.g. it cannot read it): unreadable is not proven.
            contents.note("the node could not serve the extent: \(Self.describe(error))")
        }
        // Only a clean copy's verdict is remembered: its keys are all it holds.
        let keys = contents.keys.sorted { $0.hex < $1.hex }
        let evidence = contents.parsesCompletely ? try? await indexEvidence(of: keys, node: node.id, name) : nil
        if !contents.parsesCompletely, try await isBeingReplaced(node: node.id, name) {
            // A repair mid-swap: this damaged copy just went to trash and its
            // verified replacement is not installed yet. Judged once it is (by
            // the rule below), never unlinked meanwhile; not an accusation.
            logger.info("trash extent not judged yet: a repair is replacing it", metadata: ["vigil.node": "\(node.id)", "vigil.extent": "\(name)"])
            return outcome
        }
        if !contents.parsesCompletely,
           try await index.replacedByRepair(node: node.id, volume: Int64(name.volume), generation: Int(name.generation)) {
            // A copy a repair replaced: damaged, which is why it was replaced. What
            // must hold before it goes is that nothing in it is needed: every key it
            // still shows, and every live block the index places in its volume, is
            // verified on R live replicas elsewhere. Damage alone does not fail it.
            let tolerated = contents.problemCount
            contents.tolerateDamage(alsoJudging: try await index.liveKeys(in: Int64(name.volume)))
            logger.info("trash extent is a copy a repair replaced: its damage is known; judging its volume's live blocks instead",
                        metadata: ["vigil.node": "\(node.id)", "vigil.extent": "\(name)", "vigil.problems": "\(tolerated)"])
        }
        let verdicts = try await judge(contents.keys.sorted { $0.hex < $1.hex }, trashNode: node.id, name: name, silent: silent, peers: &peers)
        let verdict = TrashVerdict(contents: contents, verdicts: verdicts, peersAnswered: peers.isEmpty)
        peers.apply(to: &outcome, zone: config.zone)

        let context: Logger.Metadata = ["vigil.node": "\(node.id)", "vigil.extent": "\(name)"]
        switch verdict.decision {
        case .notJudged:
            logger.info("trash extent not judged yet: a replica did not answer", metadata: context.merging(["vigil.peers": "\(outcome.unreachable)"]) { $1 })
            return outcome
        case .passed:
            try await index.recordInspection(node: node.id, volume: Int64(name.volume), generation: Int(name.generation), passed: true,
                                             checked: verdict.blocksChecked, failures: 0)
            outcome.cleanPrefixes.append(subject)
            if let evidence {
                memory.remember(PassedTrashExtent(file: file, keys: keys, evidence: evidence, judgedAt: started), at: position)
            }
            if verdict.neverCommitted > 0 {
                logger.notice("trash extent passed; it holds blocks that never committed (no client was told they were stored)",
                              metadata: context.merging(["vigil.never_committed": "\(verdict.neverCommitted)"]) { $1 })
            }
        case .failed:
            try await index.recordInspection(node: node.id, volume: Int64(name.volume), generation: Int(name.generation), passed: false,
                                             checked: verdict.blocksChecked, failures: verdict.failureCount)
            outcome.findings.append(Finding(
                kind: FindingKind.trashInspectionFailed.rawValue, subject: subject, severity: .critical,
                details: verdict.details(zone: config.zone, node: node.id, name: name)))
            noteReferenced(verdicts, node: node.id, name, into: &outcome)
        }
        outcome.items = 1
        return outcome
    }

    /// True while the master rebuilds this node's replica of the volume and the
    /// replica still names this extent's generation: the copy is being replaced.
    func isBeingReplaced(node: Int, _ name: ExtentName) async throws -> Bool {
        let replica = try await index.replicas(of: Int64(name.volume)).first { $0.node.id == node }
        return replica?.state == ReplicaState.repairing.rawValue && replica?.generation == Int(name.generation)
    }

    /// True when the index says the volume was sealed on every replica (its
    /// extents must end in a footer); nil when it cannot say.
    func volumeWasSealed(_ volume: Int64) async throws -> Bool? {
        try await index.pool.withConnection { c in
            let rows = try await c.query("SELECT sealed_at IS NOT NULL FROM volumes WHERE id = $1", [.int64(volume)])
            guard rows.count == 1, try rows.bool(0, 0) else { return nil }
            return true
        }
    }
}

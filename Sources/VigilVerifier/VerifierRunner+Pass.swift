import Foundation
import Logging
import VigilTelemetry

extension VerifierRunner {
    /// Runs (or resumes) one pass to its end, or until shutdown.
    func runPass() async throws {
        var pass = try await ledger.startOrResumePass()
        var cursor = try await storedCursor(of: &pass)
        var estimate = try await check.estimatePass()
        var estimated = ContinuousClock.now
        let started = settings.pacing == nil ? nil : try await gauges.passStarted(ledger.pool, pass: pass.id)
        let done = Double(estimate.unit == .bytes ? pass.bytesChecked : pass.itemsChecked)
        status.withLock { s in
            s.passID = pass.id
            s.progress = PassProgress(total: estimate.units, done: done)
            s.progress.record(done: done, at: .now)
        }
        showProgress()
        logger.info(pass.resumed ? "resuming pass" : "starting pass", metadata: [
            "vigil.pass": "\(pass.id)", "vigil.pass_size": "\(Int(estimate.units))",
        ])
        if let started { pace(total: estimate.units, done: done, started: started, announce: true) }
        while !Task.isShuttingDownGracefully {
            let step = try await check.step(at: cursor, limiter: limiter)
            try await book.record(step.outcome, lane: Self.lane)
            book.succeeded(lane: Self.lane)
            await refreshLedgerGauges(force: step.next == nil)
            pass.itemsChecked += Int64(step.outcome.items)
            pass.bytesChecked += Int64(step.outcome.bytes)
            guard let next = step.next else {
                try await ledger.complete(pass)
                metrics.passes.increment()
                metrics.progress.record(1)
                metrics.eta.record(0)
                metrics.lastComplete.record(Date().timeIntervalSince1970)
                status.withLock { $0.passesCompleted += 1; $0.progress.record(done: $0.progress.total, at: .now) }
                showProgress()
                logger.info("pass complete", metadata: [
                    "vigil.pass": "\(pass.id)", "vigil.items": "\(pass.itemsChecked)", "vigil.bytes": "\(pass.bytesChecked)",
                ])
                return
            }
            cursor = next
            pass.cursor = try CursorEncoding.encode(next, version: Check.cursorVersion)
            try await ledger.save(pass)
            let units = Double(estimate.unit == .bytes ? pass.bytesChecked : pass.itemsChecked)
            if let started {
                if ContinuousClock.now - estimated >= settings.reestimateInterval {
                    estimate = try await check.estimatePass()
                    estimated = .now
                    status.withLock { $0.progress.total = estimate.units }
                }
                pace(total: estimate.units, done: units, started: started, announce: false)
            }
            let (ratio, eta) = status.withLock { s in
                s.progress.record(done: units, at: .now)
                return (s.progress.ratio, s.progress.etaSeconds)
            }
            metrics.progress.record(ratio)
            if let eta { metrics.eta.record(eta) }
            showProgress()
        }
    }

    /// Re-derives the rate limit from the work left and the time left before
    /// the pass (started at `started`, seconds since 1970) is due.
    func pace(total: Double, done: Double, started: Double, announce: Bool) {
        guard let pacing = settings.pacing else { return }
        let age = Date().timeIntervalSince1970 - started
        let plan = pacing.plan(total: total, done: done, elapsed: .milliseconds(Int64(max(0, age) * 1000)))
        limiter.resize(rate: plan.rate)
        pacingGauges?.record(plan, started: started)
        let newlyUnreachable = status.withLock { s in
            defer { s.plan = plan }
            return plan.unreachable && s.plan?.unreachable != true
        }
        let metadata: Logger.Metadata = [
            "vigil.rate_per_second": "\(Int(plan.rate))", "vigil.pass_size": "\(Int(total))",
            "vigil.deadline_in_seconds": "\(Int(plan.deadline - age))", "vigil.finish_in_seconds": "\(Int(plan.projectedFinish - age))",
        ]
        if announce { logger.info("pass rate sized", metadata: metadata) }
        if newlyUnreachable { logger.warning("the pass cannot finish by its deadline at the maximum rate", metadata: metadata) }
    }

    /// The resumed pass's cursor. One this build cannot read (another version,
    /// an older byte layout) restarts the pass from its beginning, its counts
    /// zeroed so that nothing is counted twice.
    func storedCursor(of pass: inout PassState) async throws -> Check.Cursor? {
        guard let stored = pass.cursor else { return nil }
        do {
            return try CursorEncoding.decode(Check.Cursor.self, from: stored, version: Check.cursorVersion)
        } catch {
            logger.warning("restarting the pass from its beginning", metadata: ["vigil.pass": "\(pass.id)", LogKey.error: "\(error)"])
            pass.cursor = nil
            pass.itemsChecked = 0
            pass.bytesChecked = 0
            try await ledger.save(pass)
            return nil
        }
    }

    /// Seeds the pass-time gauges from the ledger, so a restarted verifier shows
    /// its scope's last complete pass (0: none yet) before it completes one.
    func recordPassTimes() async throws {
        let times = try await gauges.passTimes(ledger.pool)
        gauges.firstStarted.record(times.firstStarted ?? Date().timeIntervalSince1970)
        metrics.lastComplete.record(times.lastComplete)
        status.withLock { $0.passTimesKnown = true }
        await refreshLedgerGauges(force: true)
    }

    /// Open findings and outstanding repairs from the ledger, at most every 5 s
    /// (a step may take milliseconds); a failure is logged, never fails the step.
    func refreshLedgerGauges(force: Bool) async {
        let (due, shown) = status.withLock { s in
            (force || s.ledgerGaugesRefreshed.map { $0.duration(to: .now) >= .seconds(5) } ?? true, s.findingKindsShown)
        }
        guard due else { return }
        do {
            let now = try await gauges.refresh(ledger.pool, previous: shown)
            status.withLock { $0.findingKindsShown = now; $0.ledgerGaugesRefreshed = .now }
        } catch {
            logger.warning("cannot read open findings for metrics", metadata: [LogKey.error: "\(error)"])
        }
    }
}

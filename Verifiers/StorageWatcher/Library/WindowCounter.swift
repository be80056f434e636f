import Foundation
import VigilVerifier

/// The ledger's view of a stage: one pass per window, counting samples checked.
struct WindowCounter {
    let ledger: VerifierLedger
    let length: Duration
    let metrics: VerifierMetrics
    var pass: PassState?
    var started = ContinuousClock.now
    var checked = 0

    init(ledger: VerifierLedger, length: Duration, metrics: VerifierMetrics) {
        self.ledger = ledger
        self.length = length
        self.metrics = metrics
    }

    mutating func save() async throws {
        if pass == nil { pass = try await ledger.startOrResumePass(); checked = Int(pass!.itemsChecked) }
        pass!.itemsChecked = Int64(checked)
        try await ledger.save(pass!)
    }

    mutating func rollIfDue() async throws {
        guard ContinuousClock.now - started >= length else { return }
        try await save()
        try await ledger.complete(pass!)
        metrics.passes.increment()
        metrics.lastComplete.record(Date().timeIntervalSince1970)
        pass = nil
        checked = 0
        started = .now
        try await save()
    }
}

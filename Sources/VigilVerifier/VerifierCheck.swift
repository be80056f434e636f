/// The size of a pass, for progress and ETA, in the unit the verifier counts.
public struct PassEstimate: Sendable {
    public var units: Double
    /// "bytes" or "items": which of a step's counts advances progress.
    public var unit: Unit

    public enum Unit: Sendable { case bytes, items }

    public init(units: Double, unit: Unit) {
        self.units = units
        self.unit = unit
    }
}

/// What differs between sweeping verifiers: how big a pass is and what one
/// step checks, from a typed cursor. Everything else (storing the cursor in
/// the runtime's one encoding, the pass ledger, findings, pacing, retries,
/// metrics, progress and health) is the runner's.
public protocol SweepCheck: Sendable {
    /// Where a pass is. Stored by the runner as `CursorEncoding` says; a
    /// stored cursor this build cannot read restarts the pass.
    associatedtype Cursor: Codable & Sendable
    /// Raised when `Cursor` changes shape: stored cursors of another version
    /// restart their pass rather than being misread.
    static var cursorVersion: Int { get }
    /// Called at the start or resumption of a pass.
    func estimatePass() async throws -> PassEstimate
    /// Checks the next unit of work after `cursor` (nil at the start of a pass).
    func step(at cursor: Cursor?, limiter: SharedRateLimiter) async throws -> Step<Cursor>
}

extension SweepCheck {
    public static var cursorVersion: Int { 1 }
}

/// One step's result: what it observed and where the next step starts.
public struct Step<Cursor: Sendable>: Sendable {
    public var outcome: StepOutcome
    /// Where the next step starts; nil when this step finished the pass.
    public var next: Cursor?

    /// The pass goes on at `cursor`.
    public static func next(_ cursor: Cursor, _ outcome: StepOutcome) -> Step { Step(outcome: outcome, next: cursor) }

    /// This step finished the pass.
    public static func complete(_ outcome: StepOutcome) -> Step { Step(outcome: outcome, next: nil) }
}

/// Cadence: production sweeps slowly and continuously; dev sweeps in seconds.
public enum CadenceProfile: String, Sendable, CaseIterable {
    case production, dev
}

import Foundation

/// A finding as the ledger holds it.
public struct LedgerFinding: Sendable, Equatable {
    public var id: Int64
    public var verifier: VerifierID
    public var kind: FindingKind
    public var subject: String
    public var severity: Finding.Severity
    public var scope: LedgerScope
    /// The details as stored (a JSON object's text).
    public var detailsJSON: String
    /// Seconds since the Unix epoch.
    public var firstSeen: Double
    public var lastSeen: Double
    public var resolvedAt: Double?
    public var resolution: String?

    public var isOpen: Bool { resolvedAt == nil }
    /// Resolved by an operator (`vigil findings resolve`), not by what a verifier observed.
    public var resolvedByHand: Bool { resolvedAt != nil && (resolution ?? "").hasPrefix(LedgerReader.byHandMarker) }
}

/// A verifier's pass over one scope.
public struct LedgerPass: Sendable, Equatable {
    public var id: Int64
    public var verifier: VerifierID
    public var scope: LedgerScope
    public var status: PassStatus
    public var itemsChecked: Int64
    public var bytesChecked: Int64
    /// Seconds since the Unix epoch.
    public var startedAt: Double
    public var finishedAt: Double?
}

/// Per (verifier, scope): how many passes completed and when the last did.
public struct LedgerPassSummary: Sendable, Equatable {
    public var verifier: VerifierID
    public var scope: LedgerScope
    public var completePasses: Int
    public var lastCompleteFinishedAt: Double?
}

/// Open findings of one (verifier, scope) at one severity.
public struct OpenFindingCount: Sendable, Equatable {
    public var verifier: VerifierID
    public var scope: LedgerScope
    public var severity: Finding.Severity
    public var count: Int
}

/// Which findings to read. Every condition set must hold (nil: any).
public struct FindingFilter: Sendable {
    public enum Window: Sendable {
        /// Open findings only.
        case open
        /// Open, or last seen within this many seconds (resolved since or not).
        case openOrSeenWithin(seconds: Double)
        /// Last seen within this many seconds.
        case seenWithin(seconds: Double)
        /// Every finding, resolved ones too.
        case all
    }

    public var window: Window
    public var verifiers: [VerifierID]?
    public var kinds: [FindingKind]?
    public var severities: [Finding.Severity]?
    public var scope: LedgerScope?
    /// At most this many, newest (highest id) first.
    public var limit: Int

    public init(window: Window = .open, verifiers: [VerifierID]? = nil, kinds: [FindingKind]? = nil,
                severities: [Finding.Severity]? = nil, scope: LedgerScope? = nil, limit: Int = 1000) {
        self.window = window
        self.verifiers = verifiers
        self.kinds = kinds
        self.severities = severities
        self.scope = scope
        self.limit = limit
    }
}

extension LedgerReader {
    /// `2026-11-25 03:07:55` (UTC, whole seconds): how reports show a ledger time.
    public static func timeText(_ epoch: Double) -> String {
        let iso = Date(timeIntervalSince1970: epoch).formatted(.iso8601)
        return "\(iso.prefix(10)) \(iso.dropFirst(11).prefix(8))"
    }
}

import VigilServiceClient

/// A request the frontend refused or could not serve: the clients' one error
/// model (`ServiceClientError`; `status` 0 when the frontend did not answer).
public typealias FrontendClientError = ServiceClientError

extension ServiceClientError {
    /// A frontend's answer (`status` 0: it did not answer, `body` says why).
    public init(status: Int, body: [UInt8]) {
        self.init(peer: .frontend, address: "", status: status, body: body)
    }

    /// The frontend could not say anything about the block (its index is down):
    /// not a verdict on the data, so ask again later.
    public var isIndexUnavailable: Bool { code == "index_unavailable" }

    /// A read's 503 `unavailable` names why each live replica failed:
    /// `cannot serve now: no replica served a verified copy (node-1: SHA-256 mismatch; node-2: unreachable)`.
    /// Nil for any other answer.
    public var replicaProblems: [String]? {
        guard status == 503, code == "unavailable",
              let open = message.range(of: "no replica served a verified copy ("), message.hasSuffix(")")
        else { return nil }
        let inner = message[open.upperBound...].dropLast()
        return inner.isEmpty ? [] : inner.components(separatedBy: "; ")
    }

    /// The frontend answered a read and every live replica answered it with
    /// wrong or absent bytes (SHA-256 mismatch, a corrupt record, the block or
    /// volume not on the node): a verdict on the data. False when any replica did
    /// not answer, refused, or failed otherwise, and when there was no replica to
    /// ask: those are outages or faults of their own, not proof of loss.
    public var replicasAnsweredWithBadData: Bool {
        guard let problems = replicaProblems, !problems.isEmpty else { return false }
        let verdicts = ["SHA-256 mismatch", "answered 404 not_found", "answered 404 unknown_volume", "answered 500 corrupt_record"]
        return problems.allSatisfy { problem in verdicts.contains { problem.contains($0) } }
    }
}

import AsyncHTTPClient
import Foundation

/// What a daemon's `/healthz` answers: its status and its text (the reasons).
struct Healthz: Equatable, CustomStringConvertible {
    var status: Int
    var text: String

    static let ok = Healthz(status: 200, text: "ok")

    /// Asks the daemon at `base`; an unanswered request is status 0.
    static func of(_ base: String) async -> Healthz {
        guard let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/healthz"), timeout: .seconds(5)),
              let body = try? await response.body.collect(upTo: 1 << 16)
        else { return Healthz(status: 0, text: "no answer") }
        return Healthz(status: Int(response.status.code), text: String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    var description: String { "\(status) \(text)" }
}

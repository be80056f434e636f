import VigilCore
import VigilFrontendClient

/// The result of reading one sampled block back through the frontend.
enum SampleResult: Sendable {
    case ok
    /// Deleted through the API since it was written: expected.
    case expectedAbsent
    case failed(kind: String, detail: String)
    /// The frontend did not answer: check again later, report nothing.
    case frontendUnreachable
}

/// Reads a sampled block through the public API and verifies its SHA-256 and length.
func checkSample(_ sample: SampleMessage, client: FrontendClient) async -> SampleResult {
    do {
        switch try await client.get(sample.key) {
        case .found(let data):
            guard data.count == Int(sample.length) else {
                return .failed(kind: "wrong_length", detail: "read \(data.count) bytes, the write was \(sample.length)")
            }
            guard BlockKey.of(data) == sample.key else {
                return .failed(kind: "corrupt", detail: "SHA-256 of the data read is not the key")
            }
            return .ok
        case .deleted:
            return .expectedAbsent
        case .notFound:
            return .failed(kind: "not_found", detail: "the frontend has no block with this key")
        }
    } catch let error as FrontendClientError where error.isUnreachable || error.isIndexUnavailable {
        return .frontendUnreachable
    } catch {
        return .failed(kind: "unreadable", detail: "\(error)")
    }
}

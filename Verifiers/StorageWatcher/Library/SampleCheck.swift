import VigilCore
import VigilVerifier
import VigilFrontendClient

/// The result of reading one sampled block back through the frontend.
enum SampleResult: Sendable, Equatable {
    case ok
    /// Deleted through the API since it was written: expected.
    case expectedAbsent
    /// The frontend answered and no replica served the right bytes: a data finding.
    case failed(kind: String, detail: String)
    /// The frontend could not judge the block (down, timed out, 5xx, its index
    /// or every replica unreachable, our credential refused): the sample waits
    /// and is retried; never a data finding. `condition` names the finding kind.
    case frontendUnavailable(condition: String, detail: String)
}

/// Conditions of the frontend as the watcher sees it (finding kinds).
enum FrontendCondition {
    static let unavailable = FindingKind.frontendUnavailable.rawValue
    /// 401/403: a configuration fault of its own, never "unavailable" data.
    static let unauthorized = FindingKind.frontendUnauthorized.rawValue
}

/// Reads a sampled block through the public API and verifies its SHA-256 and
/// length. A read cancelled (the watcher stopping) is no verdict on the
/// frontend: it throws `CancellationError`, never `frontendUnavailable`.
func checkSample(_ sample: SampleMessage, client: FrontendClient) async throws(CancellationError) -> SampleResult {
    do {
        switch try await client.get(sample.key) {
        case .found(let data):
            guard data.count == Int(sample.length) else {
                return .failed(kind: FindingKind.wrongLength.rawValue, detail: "read \(data.count) bytes, the write was \(sample.length)")
            }
            guard BlockKey.of(data) == sample.key else {
                return .failed(kind: FindingKind.corrupt.rawValue, detail: "SHA-256 of the data read is not the key")
            }
            return .ok
        case .deleted:
            return .expectedAbsent
        case .notFound:
            return .failed(kind: FindingKind.notFound.rawValue, detail: "the frontend has no block with this key")
        }
    } catch let error as FrontendClientError {
        return classify(error)
    } catch is CancellationError {
        throw CancellationError()
    } catch {
        return .frontendUnavailable(condition: FrontendCondition.unavailable, detail: "\(error)")
    }
}

/// Sorts a refused read: only a frontend that answered, with every replica
/// answering wrong or absent bytes, is a verdict on the data.
func classify(_ error: FrontendClientError) -> SampleResult {
    if error.replicasAnsweredWithBadData, let problems = error.replicaProblems {
        // Every replica answered: absent everywhere is `not_found`, any wrong bytes `corrupt`.
        let absent = problems.allSatisfy { $0.contains("answered 404") }
        return .failed(kind: (absent ? FindingKind.notFound : .corrupt).rawValue, detail: "the frontend answered and no replica served the right bytes: \(error.message)")
    }
    if error.status == 401 || error.status == 403 {
        return .frontendUnavailable(
            condition: FrontendCondition.unauthorized,
            detail: "the frontend refused the watcher's token (\(error.status)): give --frontend-token-file (or VIGIL_STORAGE_WATCHER_FRONTEND_TOKEN) a frontend token with the read role")
    }
    return .frontendUnavailable(condition: FrontendCondition.unavailable, detail: "\(error)")
}

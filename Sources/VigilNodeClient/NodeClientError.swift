import VigilServiceClient

/// A failed node request: the clients' one error model (`ServiceClientError`).
/// `unreachable` is its own condition: it never means a block is missing.
public typealias NodeClientError = ServiceClientError

extension ServiceClientError {
    /// The node's base URL (`address`), for node callers.
    public var node: String { address }
}

/// Why a `BlockingExecutor` did not run a work item (a cancelled task gets
/// `CancellationError` instead).
public struct BlockingExecutorError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public static let queueFull = Code(rawValue: "queue_full")
        public static let shutDown = Code(rawValue: "shut_down")
    }

    public var code: Code
    public var description: String

    static func queueFull(limit: Int) -> BlockingExecutorError {
        BlockingExecutorError(code: .queueFull, description: "the blocking executor's queue is full (\(limit) items waiting): the process is overloaded; retry shortly")
    }

    static let shutDown = BlockingExecutorError(code: .shutDown, description: "the blocking executor has shut down: the process is stopping")

    /// A full queue drains; a shut-down executor does not come back.
    public var isRetriable: Bool { code == .queueFull }
}

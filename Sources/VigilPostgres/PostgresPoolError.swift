extension PostgresError.Code {
    /// Every connection of a pool stayed busy for the pool's lease timeout.
    public static let leaseTimeout = PostgresError.Code(rawValue: "lease_timeout")
    /// The pool was closed: the daemon is shutting down.
    public static let poolClosed = PostgresError.Code(rawValue: "pool_closed")
}

extension PostgresError {
    static func leaseTimedOut(after timeout: Duration, size: Int) -> PostgresError {
        PostgresError(
            code: .leaseTimeout,
            message: "all \(size) connections of the pool stayed busy for \(timeout): the database or this process is overloaded; retry shortly")
    }

    static let poolClosed = PostgresError(code: .poolClosed, message: "the connection pool is closed: the daemon is shutting down")
}

/// An error from Postgres or from talking to it. Messages come from the server
/// or libpq and never include the connection string or a password.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public struct Code: RawRepresentable, Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Could not connect, or the connection was lost.
        public static let connection = Code(rawValue: "connection")
        /// The server answered with an error; `sqlState` says which.
        public static let server = Code(rawValue: "server")
        /// A value in a result did not have the expected type or size.
        public static let decoding = Code(rawValue: "decoding")
        /// The database's schema is newer than this build knows.
        public static let schemaTooNew = Code(rawValue: "schema_too_new")
        /// A connection URL that cannot be used.
        public static let badURL = Code(rawValue: "bad_url")
    }

    public var code: Code
    /// The five-character SQLSTATE, when the server sent one.
    public var sqlState: String?
    public var message: String

    public init(code: Code, sqlState: String? = nil, message: String) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
    }

    /// Worth retrying: the connection dropped, the server is starting or
    /// shutting down, a serialization failure or deadlock.
    public var isRetriable: Bool {
        if code == .connection || code == .leaseTimeout { return true }
        guard let state = sqlState else { return false }
        return state.hasPrefix("08") || state.hasPrefix("57P") || state == "40001" || state == "40P01" || state == "53300"
    }

    /// A unique constraint was violated.
    public var isUniqueViolation: Bool { sqlState == "23505" }

    public var description: String {
        "postgres \(code.rawValue)\(sqlState.map { " \($0)" } ?? ""): \(message)"
    }
}

import CLibPQ
import Dispatch

/// One libpq connection. Every call into libpq runs on the connection's own
/// serial queue, so blocking network I/O never occupies the cooperative pool;
/// callers simply `await`. Parameters and results are binary; statements are
/// always parameterized.
public final class PostgresConnection: @unchecked Sendable {
    // `conn` is touched only on `queue`.
    private let conn: OpaquePointer
    private let queue: DispatchQueue

    private init(conn: OpaquePointer, label: String) {
        self.conn = conn
        queue = DispatchQueue(label: "vigil.postgres.\(label)")
    }

    deinit { PQfinish(conn) }

    /// Connects to a `postgresql://` URL or a libpq keyword string.
    public static func connect(url: String, label: String = "conn") async throws -> PostgresConnection {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                guard let conn = PQconnectdb(url) else {
                    continuation.resume(throwing: PostgresError(code: .connection, message: "libpq could not allocate a connection"))
                    return
                }
                guard PQstatus(conn) == CONNECTION_OK else {
                    let message = Self.errorMessage(conn)
                    PQfinish(conn)
                    continuation.resume(throwing: PostgresError(code: .connection, message: "cannot connect: \(message)"))
                    return
                }
                // Server notices ("already exists, skipping") are not errors: drop them.
                PQsetNoticeProcessor(conn, { _, _ in }, nil)
                continuation.resume(returning: PostgresConnection(conn: conn, label: label))
            }
        }
    }

    /// Runs one parameterized statement and returns its rows (binary format).
    @discardableResult
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        try await onQueue { conn in try Self.execute(conn, sql, parameters) }
    }

    /// Runs SQL text that may hold several statements and no parameters
    /// (migrations, `BEGIN`/`COMMIT`). Results are discarded.
    public func simpleQuery(_ sql: String) async throws {
        try await onQueue { conn in
            let result = PQexec(conn, sql)
            defer { PQclear(result) }
            try Self.check(conn, result)
        }
    }

    /// Runs `body` inside a transaction, committed when it returns, rolled back when it throws.
    public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await simpleQuery("BEGIN")
        do {
            let value = try await body(self)
            try await simpleQuery("COMMIT")
            return value
        } catch {
            try? await simpleQuery("ROLLBACK")
            throw error
        }
    }

    /// Runs `work` with the raw connection on the connection's queue.
    func onQueue<T: Sendable>(_ work: @escaping @Sendable (OpaquePointer) throws -> T) async throws -> T {
        let conn = UnsafeConnection(conn)
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work(conn.pointer) }) }
        }
    }

    static func execute(_ conn: OpaquePointer, _ sql: String, _ parameters: [PostgresValue]) throws -> PostgresRows {
        let encoded = parameters.map(\.binary)
        let types = parameters.map(\.oid)
        let lengths = encoded.map { Int32($0?.count ?? 0) }
        let formats = [Int32](repeating: 1, count: parameters.count)
        let result = withCStringArray(encoded) { values in
            PQexecParams(conn, sql, Int32(parameters.count), types, values, lengths, formats, 1)
        }
        do {
            try check(conn, result)
        } catch {
            PQclear(result)
            throw error
        }
        return PostgresRows(result: result!)
    }

    static func check(_ conn: OpaquePointer, _ result: OpaquePointer?) throws {
        guard let result else {
            throw PostgresError(code: .connection, message: errorMessage(conn))
        }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_SINGLE_TUPLE, PGRES_COPY_OUT, PGRES_COPY_IN:
            return
        default:
            let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
            let primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
            let lost = PQstatus(conn) != CONNECTION_OK
            throw PostgresError(
                code: lost && state == nil ? .connection : .server, sqlState: state,
                message: primary ?? errorMessage(conn))
        }
    }

    static func errorMessage(_ conn: OpaquePointer) -> String {
        String(cString: PQerrorMessage(conn)).trimmingTrailingWhitespace()
    }
}

/// The raw connection pointer, lent to work that runs on the connection's queue.
struct UnsafeConnection: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

/// Lends `values` to libpq as an array of C pointers (NULL for SQL NULL).
func withCStringArray<R>(_ values: [[UInt8]?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let buffers: [UnsafeMutablePointer<CChar>?] = values.map { value in
        guard let value else { return nil }
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(value.count, 1))
        value.withUnsafeBytes { raw in
            if let base = raw.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: raw.count) }
        }
        return buffer
    }
    defer { buffers.forEach { $0?.deallocate() } }
    return body(buffers.map { $0.map { UnsafePointer($0) } })
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var s = Substring(self)
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}

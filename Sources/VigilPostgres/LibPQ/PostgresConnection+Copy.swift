import CLibPQ

extension PostgresConnection {
    /// Runs `COPY … TO STDOUT` and reads every row the server sends, keeping
    /// none of them; returns the rows and bytes received. The bare-libpq
    /// baseline the benchmarks hold the metadata scanner against.
    public func copyOutDiscarding(_ sql: String) async throws -> (rows: Int, bytes: Int) {
        try await onQueue { conn in
            let start = PQexec(conn, sql)
            defer { PQclear(start) }
            try Self.check(conn, start)
            guard PQresultStatus(start) == PGRES_COPY_OUT else {
                throw PostgresError(code: .server, message: "not a COPY … TO STDOUT statement")
            }
            var rows = 0
            var bytes = 0
            while true {
                var buffer: UnsafeMutablePointer<CChar>?
                let n = PQgetCopyData(conn, &buffer, 0)
                if let buffer { PQfreemem(buffer) }
                if n < 0 { break }
                rows += 1
                bytes += Int(n)
            }
            // The COPY's own result, then the end of the command.
            while let result = PQgetResult(conn) {
                defer { PQclear(result) }
                try Self.check(conn, result)
            }
            return (rows, bytes)
        }
    }
}

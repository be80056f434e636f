import VigilCore

/// Streams the block index in key order, one keyset page at a time, with the
/// next page fetched while the caller works on the current one. Memory holds
/// at most two pages, whatever the table's size. Reads only the covering
/// primary key's columns, so Postgres answers with an index-only scan.
public struct BlockIndexScan: AsyncSequence, Sendable {
    public typealias Element = [BlockRow]

    let connection: PostgresConnection
    let range: KeyRange
    let pageSize: Int

    /// Scans keys in `range` (start inclusive, end exclusive) on `connection`,
    /// which the scan uses alone while it runs.
    public init(connection: PostgresConnection, range: KeyRange = .all, pageSize: Int = 20_000) {
        self.connection = connection
        self.range = range
        self.pageSize = pageSize
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(scan: self)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let scan: BlockIndexScan
        var next: Task<[BlockRow], Error>?
        var done = false

        init(scan: BlockIndexScan) {
            self.scan = scan
            next = Self.fetch(scan, after: nil)
        }

        public mutating func next() async throws -> [BlockRow]? {
            guard !done, let pending = next else { return nil }
            let page = try await withTaskCancellationHandler {
                try await pending.value
            } onCancel: {
                pending.cancel()
            }
            if page.count < scan.pageSize {
                done = true
                next = nil
            } else {
                next = Self.fetch(scan, after: page.last!.key)
            }
            return page.isEmpty ? nil : page
        }

        static func fetch(_ scan: BlockIndexScan, after: BlockKey?) -> Task<[BlockRow], Error> {
            Task { try await scan.page(after: after) }
        }
    }

    /// One page of rows in `range` after `after` (from the range start when nil).
    public static func page(connection: PostgresConnection, range: KeyRange, after: BlockKey?, limit: Int) async throws -> [BlockRow] {
        try await BlockIndexScan(connection: connection, range: range, pageSize: limit).page(after: after)
    }

    func page(after: BlockKey?) async throws -> [BlockRow] {
        let lower = after.map { PostgresValue.bytea($0.bytes) } ?? .bytea(range.start.bytes)
        let upper: PostgresValue = range.end.map { .bytea($0.bytes) } ?? .null
        let op = after == nil ? ">=" : ">"
        let sql = """
            SELECT key, volume_id, length, checksum, state FROM blocks
            WHERE key \(op) $1 AND ($2::bytea IS NULL OR key < $2)
            ORDER BY key LIMIT $3
            """
        let rows = try await connection.query(sql, [lower, upper, .int64(Int64(pageSize))])
        return try rows.blockRows()
    }
}

extension PostgresRows {
    /// Decodes (key, volume_id, length, checksum, state) rows.
    func blockRows() throws -> [BlockRow] {
        var out: [BlockRow] = []
        out.reserveCapacity(count)
        for row in 0..<count {
            guard let key = BlockKey(bytes: raw(row, 0)) else { throw decodingError(row, 0, "a 32-byte key") }
            guard let state = BlockState(rawValue: Int16(try int64(row, 4))) else { throw decodingError(row, 4, "a block state") }
            out.append(BlockRow(
                key: key, volume: try int64(row, 1), length: Int32(try int64(row, 2)),
                checksum: UInt32(bitPattern: Int32(truncatingIfNeeded: try int64(row, 3))), state: state))
        }
        return out
    }
}

import VigilCore

/// A user of the File Journal and the zones their files must live in.
public struct JournalUser: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var zones: [String]
}

/// The File Journal: users' files as ordered block keys (`Schemas/file-journal`).
public struct FileJournal: Sendable {
    public let pool: PostgresPool

    public init(pool: PostgresPool) { self.pool = pool }

    /// The user, created with `zones` when new.
    public func user(named name: String, creatingIn zones: [String]) async throws -> JournalUser {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                WITH created AS (
                    INSERT INTO users (id, name, zones) VALUES (nextval('user_ids'), $1, $2)
                    ON CONFLICT (name) DO NOTHING RETURNING id, name, zones)
                SELECT * FROM created
                UNION ALL SELECT id, name, zones FROM users WHERE name = $1
                """, [.text(name), .textArray(zones)])
            return JournalUser(id: try rows.int64(0, 0), name: rows.string(0, 1), zones: try rows.stringArray(0, 2))
        }
    }

    /// Records a file whose blocks are already in every zone of its user.
    public func recordFile(user: Int64, path: String, size: Int64, keys: [BlockKey]) async throws -> Int64 {
        try await pool.withConnection { c in
            try await c.transaction { tx in
                let id = try await tx.query("""
                    INSERT INTO files (user_id, path, size_bytes) VALUES ($1, $2, $3)
                    ON CONFLICT (user_id, path) DO UPDATE SET size_bytes = EXCLUDED.size_bytes, created_at = now()
                    RETURNING id
                    """, [.int64(user), .text(path), .int64(size)]).int64(0, 0)
                try await tx.query("DELETE FROM file_blocks WHERE file_id = $1", [.int64(id)])
                for (position, key) in keys.enumerated() {
                    try await tx.query(
                        "INSERT INTO file_blocks (file_id, position, key) VALUES ($1, $2, $3)",
                        [.int64(id), .int32(Int32(position)), .bytea(key.bytes)])
                }
                return id
            }
        }
    }

    /// A file's blocks in order and its user's zones; nil when there is no such file.
    public func file(user: String, path: String) async throws -> (keys: [BlockKey], zones: [String], size: Int64)? {
        try await pool.withConnection { c in
            let rows = try await c.query("""
                SELECT fb.key, u.zones, f.size_bytes FROM files f
                JOIN users u ON u.id = f.user_id JOIN file_blocks fb ON fb.file_id = f.id
                WHERE u.name = $1 AND f.path = $2 ORDER BY fb.position
                """, [.text(user), .text(path)])
            guard rows.count > 0 else { return nil }
            let keys = (0..<rows.count).compactMap { BlockKey(bytes: rows.bytes($0, 0)) }
            return (keys, try rows.stringArray(0, 1), try rows.int64(0, 2))
        }
    }
}

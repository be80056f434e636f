/// A small pool of connections to one database, for daemons that serve many
/// requests at once. Connections are made on demand up to `size`; a broken
/// one is dropped rather than returned.
public actor PostgresPool {
    public let url: String
    public let size: Int
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<PostgresConnection?, Never>] = []

    public init(url: String, size: Int = 8) {
        self.url = url
        self.size = size
    }

    /// Runs `body` with a connection of the pool.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await acquire()
        do {
            let result = try await body(connection)
            release(connection, broken: false)
            return result
        } catch let error as PostgresError {
            release(connection, broken: error.code == .connection)
            throw error
        } catch {
            release(connection, broken: false)
            throw error
        }
    }

    private func acquire() async throws -> PostgresConnection {
        if let connection = idle.popLast() { return connection }
        if open < size {
            open += 1
            do {
                return try await PostgresConnection.connect(url: url, label: "pool")
            } catch {
                open -= 1
                throw error
            }
        }
        if let connection = await withCheckedContinuation({ waiters.append($0) }) { return connection }
        return try await acquire()
    }

    private func release(_ connection: PostgresConnection, broken: Bool) {
        if broken {
            open -= 1
            // A waiter may now open a connection of its own.
            if !waiters.isEmpty { waiters.removeFirst().resume(returning: nil) }
            return
        }
        if !waiters.isEmpty {
            waiters.removeFirst().resume(returning: connection)
        } else {
            idle.append(connection)
        }
    }
}

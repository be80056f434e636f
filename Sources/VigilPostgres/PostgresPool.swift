import Synchronization

/// A small pool of connections to one database, for daemons that serve many
/// requests at once. Connections are made on demand up to `size`; a broken one
/// is dropped and the next request in line opens its replacement. A request
/// that finds every connection busy waits in line, at most `leaseTimeout`
/// (then a retriable `lease_timeout` error); a cancelled request leaves the line.
/// The decisions are `PoolStateMachine`'s; this class performs them. As a
/// daemon's `Service` it closes its connections at shutdown (`PostgresPool+Service.swift`).
public final class PostgresPool: Sendable {
    typealias Waiter = CheckedContinuation<PoolGrant<PostgresConnection>, any Error>
    typealias Machine = PoolStateMachine<PostgresConnection, Waiter>

    public let url: String
    public let size: Int
    public let leaseTimeout: Duration
    let machine: Mutex<Machine>
    /// Set once the pool closed: no new leases, returned connections are closed.
    let closed = Atomic<Bool>(false)

    public init(url: String, size: Int = 8, leaseTimeout: Duration = .seconds(60)) {
        self.url = url
        self.size = size
        self.leaseTimeout = leaseTimeout
        machine = Mutex(Machine(size: size))
    }

    /// Runs `body` with a connection of the pool.
    @discardableResult
    public func withConnection<T: Sendable>(_ body: @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await lease()
        do {
            let result = try await body(connection)
            release(connection, broken: false)
            return result
        } catch let error as PostgresError {
            release(connection, broken: Self.breaksConnection(error))
            throw error
        } catch {
            release(connection, broken: false)
            throw error
        }
    }

    /// The connection is gone (lost, or the server ended its session: SQLSTATE
    /// class 08, or 57P for an administrator's or a crash's shutdown).
    static func breaksConnection(_ error: PostgresError) -> Bool {
        error.code == .connection || ["08", "57P"].contains { error.sqlState?.hasPrefix($0) == true }
    }

    private func lease() async throws -> PostgresConnection {
        guard !closed.load(ordering: .acquiring) else { throw PostgresError.poolClosed }
        var grant = machine.withLock { $0.tryLease() }
        if grant == nil { grant = try await waitInLine() }
        switch grant! {
        case .connection(let connection):
            return connection
        case .connect:
            do {
                return try await PostgresConnection.connect(url: url, label: "pool")
            } catch {
                hand(machine.withLock { $0.slotFreed() })
                throw error
            }
        }
    }

    /// Waits for a connection or a slot, racing the lease timeout.
    private func waitInLine() async throws -> Machine.Grant {
        let id = machine.withLock { $0.reserve() }
        return try await withThrowingTaskGroup(of: Machine.Grant?.self) { group in
            group.addTask { try await self.queue(id) }
            group.addTask {
                try await Task.sleep(for: self.leaseTimeout)
                return nil
            }
            var outcome: Result<Machine.Grant, any Error>?
            while let next = await group.nextResult() {
                switch next {
                case .success(let grant?):
                    // A grant always wins, so no connection or slot is lost.
                    outcome = .success(grant)
                    group.cancelAll()
                case .success(nil):
                    machine.withLock { $0.abandon(id) }?.resume(throwing: PostgresError.leaseTimedOut(after: leaseTimeout, size: size))
                case .failure(let error):
                    if outcome == nil { outcome = .failure(error) }
                    group.cancelAll()
                }
            }
            return try outcome!.get()
        }
    }

    private func queue(_ id: UInt64) async throws -> Machine.Grant {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (waiter: Waiter) in
                switch machine.withLock({ $0.enqueue(id, waiter) }) {
                case .granted(let grant): waiter.resume(returning: grant)
                case .queued: break
                case .abandoned: waiter.resume(throwing: CancellationError())
                }
            }
        } onCancel: {
            machine.withLock { $0.abandon(id) }?.resume(throwing: CancellationError())
        }
    }

    private func release(_ connection: PostgresConnection, broken: Bool) {
        let drop = broken || closed.load(ordering: .acquiring)
        hand(machine.withLock { drop ? $0.slotFreed() : $0.release(connection) })
    }

    private func hand(_ handOff: Machine.HandOff?) {
        guard let handOff else { return }
        handOff.waiter.resume(returning: handOff.grant)
    }
}

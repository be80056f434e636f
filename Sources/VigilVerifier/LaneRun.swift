import ServiceLifecycle
import VigilTelemetry

extension VerifierBookkeeping {
    /// Runs the rounds of `lane` until the daemon shuts down (the one loop every
    /// lane runs in: the recent extents, each watcher stage, the referee's
    /// events). A round returns how long to wait before the next; a round that
    /// throws is counted, logged and shown in health by kind (`isRetriable`
    /// consulted) and the next one comes after its backoff; a round ended by
    /// shutdown or cancellation is no failure. With `overdueAfter` (the most a
    /// round may take), a round not finished that long after it was due shows
    /// the lane overdue on `/healthz` until one finishes.
    public func runLane(_ lane: String, overdueAfter: Duration? = nil, _ round: () async throws -> Duration) async {
        expectRound(lane, after: .zero, within: overdueAfter)
        await repeatUntilShutdown {
            var pause: Duration
            do {
                pause = try await round()
                succeeded(lane: lane)
            } catch where Self.stopping {
                return .zero  // shutting down: nothing failed
            } catch is CancellationError {
                pause = .seconds(1)  // a piece of the round was cancelled, not the lane: try again
            } catch {
                pause = failed(error, lane: lane)
            }
            expectRound(lane, after: pause, within: overdueAfter)
            return pause
        }
        board.update(lane, retry: retry) { $0.roundDue = nil }
    }

    /// Runs `work` for `lane` (one item of a round: a transition to judge) up
    /// to `times` times while its failures are retriable, waiting the backoff
    /// between tries; each failure is recorded by kind. Returns whether it went
    /// through; a permanent failure, or shutdown, ends it at once.
    @discardableResult
    public func attempt(lane: String, times: Int, _ work: () async throws -> Void) async -> Bool {
        for attempt in 1...max(1, times) {
            do {
                try await work()
                succeeded(lane: lane)
                return true
            } catch where Self.stopping {
                return false
            } catch {
                let delay = failed(error, lane: lane)
                guard StepFailure(error) == .retriable, attempt < times else { return false }
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
                if Self.stopping { return false }
            }
        }
        return false
    }

    /// Whether the daemon is stopping the work: what fails now (cancelled, or
    /// cut short by graceful shutdown) is no fault to record.
    static var stopping: Bool { Task.isCancelled || Task.isShuttingDownGracefully }

    private func expectRound(_ lane: String, after pause: Duration, within overdueAfter: Duration?) {
        let now = ContinuousClock.now
        board.update(lane, retry: retry) { state in
            state.lastRoundEnded = state.roundDue == nil ? nil : now
            state.roundDue = overdueAfter.map { now + pause + $0 }
        }
    }
}

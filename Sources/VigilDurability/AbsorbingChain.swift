/// A continuous-time Markov chain with transient states `0..<count` and one
/// absorbing state, "data lost". Rates are per hour.
///
/// `expectedTimeToAbsorption(from:)` solves the linear system
/// `(−Q) T = 1` for the expected time to absorption by Gaussian elimination in
/// the form of Grassmann, Taksar and Heyman: each state's diagonal is rebuilt
/// from the rates still leaving it instead of being subtracted, so every step
/// adds and multiplies positive numbers. That matters here: failure rates near
/// 1e-6/h against repair rates near 1/h make the plain elimination lose most of
/// its digits to cancellation.
public struct AbsorbingChain: Sendable {
    public let count: Int
    /// `rates[i][j]`: rate from transient state i to transient state j (i ≠ j).
    private var rates: [[Double]]
    /// `absorption[i]`: rate from transient state i to data loss.
    private var absorption: [Double]

    public init(states count: Int) {
        precondition(count > 0, "a chain needs a transient state")
        self.count = count
        rates = Array(repeating: Array(repeating: 0, count: count), count: count)
        absorption = Array(repeating: 0, count: count)
    }

    /// Adds a transition of `rate` from `from` to `to`; `to == nil` is data loss.
    public mutating func add(from: Int, to: Int?, rate: Double) {
        guard rate > 0 else { return }
        if let to {
            precondition(to != from, "a self-loop changes nothing in a continuous-time chain")
            rates[from][to] += rate
        } else {
            absorption[from] += rate
        }
    }

    /// The expected time, in hours, from `start` until data is lost;
    /// `.infinity` when no path from `start` reaches the absorbing state.
    public func expectedTimeToAbsorption(from start: Int) -> Double {
        var q = rates
        var alpha = absorption
        // c[i]: the expected time gathered in state i and in the states eliminated into it.
        var c = Array(repeating: 1.0, count: count)
        var remaining = Array(0..<count).filter { $0 != start }
        while let i = remaining.popLast() {
            let live = remaining + [start]
            let out = live.reduce(alpha[i]) { $0 + q[i][$1] }
            guard out > 0 else {
                // A trap never left: a state that can enter it waits forever, with some probability.
                for j in live where q[j][i] > 0 { c[j] = .infinity; q[j][i] = 0 }
                continue
            }
            for j in live where q[j][i] > 0 {
                let share = q[j][i] / out
                c[j] += share * c[i]
                alpha[j] += share * alpha[i]
                for k in live where k != j { q[j][k] += share * q[i][k] }
                q[j][i] = 0
            }
        }
        return alpha[start] > 0 ? c[start] / alpha[start] : .infinity
    }
}

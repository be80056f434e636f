import Foundation
import VigilCore

/// A progress line on standard error (rate and ETA), then a summary on standard output.
final class Progress: Sendable {
    private struct State { var done = 0; var bytes = 0; var lastPrint = ContinuousClock.now }
    private let state = LockedValue(State())
    private let total: Int
    private let label: String
    private let start = ContinuousClock.now
    private let interactive = isatty(2) == 1

    init(total: Int, label: String) {
        self.total = total
        self.label = label
    }

    func advance(bytes: Int) {
        let line: String? = state.withLock { s in
            s.done += 1
            s.bytes += bytes
            let now = ContinuousClock.now
            guard now - s.lastPrint > .milliseconds(interactive ? 200 : 5000) || s.done == total else { return nil }
            s.lastPrint = now
            let seconds = max(0.001, Double((now - start).components.attoseconds) / 1e18 + Double((now - start).components.seconds))
            let rate = Double(s.done) / seconds
            let eta = rate > 0 ? Double(total - s.done) / rate : 0
            let width = 30, filled = width * s.done / max(1, total)
            return "[\(String(repeating: "#", count: filled))\(String(repeating: ".", count: width - filled))] \(s.done)/\(total) \(label)  \(Int(rate))/s  ETA \(Int(eta))s"
        }
        if let line { FileHandle.standardError.write(Data(((interactive ? "\r" : "") + line + (interactive ? "" : "\n")).utf8)) }
    }

    func finish() {
        let (done, bytes) = state.withLock { ($0.done, $0.bytes) }
        let elapsed = ContinuousClock.now - start
        let seconds = max(0.001, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
        print(String(format: "wrote %d %@ (%.1f MiB) in %.2f s: %.0f %@/s, %.2f MiB/s",
                     done, label, Double(bytes) / 1_048_576, seconds, Double(done) / seconds, label, Double(bytes) / 1_048_576 / seconds))
    }
}

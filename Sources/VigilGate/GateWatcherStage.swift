import VigilLedger
import VigilPostgres

/// What a storage-watcher stage must have checked in the window: the sampled
/// writes that came due at it while its passes ran. The frontend samples by key
/// (`Schemas/kafka-sample.md`: a write is sampled when its key's first 64 bits
/// fall under rate × 2⁶⁴), so whatever rate a frontend runs at, from the
/// documented 1% up, every block under the 1% threshold was sampled: the gate
/// needs no rate to know those samples had to reach every stage.
struct WatcherStageExpectation: Sendable {
    /// The stage's name, which is its delay (`1m`, `1d`, `5s`).
    var name: String
    /// How late a sample may reach the stage (Kafka, the watcher's polling): writes
    /// due this close to the last pass's end are not yet counted against it.
    var margin: Double

    /// The lowest sample rate a frontend is expected to run at: the documented 1%, the default.
    static let minimumSampleRate = 0.01

    /// The first eight bytes of a key every frontend at `minimumSampleRate` or more samples
    /// when its key sorts below them (the frontend's own threshold, big-endian).
    static let sampledBelow: [UInt8] = {
        let threshold = UInt64(minimumSampleRate * Double(UInt64.max)).bigEndian
        return withUnsafeBytes(of: threshold) { Array($0) }
    }()

    init(name: String, profile: String) {
        self.name = name
        margin = profile == "dev" ? 15 : 60
    }

    /// Why this stage's passes over `scope` inside the window fall short, or nil:
    /// they checked fewer samples than there were blocks every frontend samples
    /// written early enough to come due at the stage while those passes ran
    /// (every sample checked counts once, whatever its outcome).
    func uncheckedSamples(_ c: PostgresConnection, scope: LedgerScope, window: Double) async throws -> String? {
        guard let delay = Gate.parseWindow(name) else {
            return "the stage's name is not a delay (like 30m, 1d), so nothing says which writes it must have checked"
        }
        guard let passes = try await LedgerReader(c).completePasses(.storageWatcher, scope: scope, startedWithinSeconds: window) else { return nil }
        let from = passes.firstStartedAt - delay, to = passes.lastFinishedAt - delay - margin
        guard to > from else { return nil }
        let due = try await c.query("""
            SELECT count(*)::int8 FROM (SELECT 1 FROM blocks WHERE key < $1 AND created_at >= to_timestamp($2) AND created_at < to_timestamp($3)
                                        LIMIT $4) due
            """, [.bytea(Self.sampledBelow), .float64(from), .float64(to), .int64(passes.itemsChecked + 1)]).int64(0, 0)
        guard due > passes.itemsChecked else { return nil }
        return """
            its \(passes.passes) pass(es) in the window checked \(passes.itemsChecked) sample(s), but more blocks than that \
            written between \(Gate.time(from)) and \(Gate.time(to)) are sampled at any rate of \(Int(Self.minimumSampleRate * 100))% \
            or more and came due at this stage: is the frontend publishing to Kafka (vigil_frontend_samples_failed_total) \
            and the watcher reading the zone's topic?
            """
    }
}

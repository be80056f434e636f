import Foundation
import VigilCore
import VigilLedger
import VigilVerifier

extension ExtentReferee {
    /// Files in `extents/` or `trash/` that are not extents: a non-canonical
    /// name (`v04.g1.extent`, a copy of volume 4 that no verifier would
    /// otherwise judge), a backup, anything a script left. One
    /// `unexpected_file` each (`node/N/extents/FILE`), open while the file is
    /// there. The node's own staging files (`NAME.incoming-ID`, an install in
    /// progress) are not stray, nor is a file younger than 10 s. Returns the findings and the subjects of open
    /// ones whose file is gone (observed clean).
    func strayFiles() async throws -> (findings: [Finding], gone: [String]) {
        var found: [String: Finding] = [:]
        for location in ["extents", "trash"] {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: "\(config.dataDirectory)/\(location)")) ?? [] {
                guard ExtentName(file) == nil, !Self.isStaging(file) else { continue }
                // A file younger than the settle time may be a rename in flight (an atomic write's temporary).
                guard let status = try? FileStatus.of(path: "\(config.dataDirectory)/\(location)/\(file)"),
                      Date().timeIntervalSince1970 - Double(status.modifiedNanos) / 1e9 >= Self.straySettleSeconds else { continue }
                let subject = "node/\(config.nodeID)/\(location)/\(file)"
                found[subject] = Finding(.unexpectedFile, subject: subject, details: [
                    "zone": config.zone, "node": "\(config.nodeID)", "file": "\(location)/\(file)",
                    "detail": "not an extent name: extents/ and trash/ hold only v<VOLUME>.g<GENERATION>.extent files",
                ])
            }
        }
        let open = try await index.pool.withConnection { [config] c in
            try await c.query("""
                SELECT subject FROM findings WHERE verifier = $1 AND kind = $2 AND resolved_at IS NULL AND starts_with(subject, $3)
                """, [.text(VerifierID.extentReferee.rawValue), .text(FindingKind.unexpectedFile.rawValue), .text("node/\(config.nodeID)/")])
        }
        let gone = (0..<open.count).map { open.string($0, 0) }.filter { found[$0] == nil }
        return (Array(found.values), gone)
    }

    static let straySettleSeconds = 10.0

    /// `v4.g1.extent.incoming-<ID>`: the node writes an install there before linking it into place.
    static func isStaging(_ file: String) -> Bool {
        guard let mark = file.range(of: ".incoming-") else { return false }
        return ExtentName(file[..<mark.lowerBound]) != nil
    }
}

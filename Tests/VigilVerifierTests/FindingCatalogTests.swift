import Foundation
import Testing
import VigilCore
import VigilVerifier

@Suite("Finding catalog", .timeLimit(.minutes(1)))
struct FindingCatalogTests {
    @Test("Schemas/findings.md lists exactly the catalog's kinds, each once, with its verifier and severity")
    func documentMatchesCatalog() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let doc = try String(contentsOf: root.appendingPathComponent("Schemas/findings.md"), encoding: .utf8)
        #expect(doc.contains(FindingKind.markdownTable), "regenerate the table with `vigil findings kinds --format markdown`")
        let kinds = FindingKind.catalog.map(\.kind)
        #expect(Set(kinds).count == kinds.count, "a kind is catalogued twice")
    }

    @Test("every extent problem a reader names is a catalogued scrubber kind, and catalogued severities are what findings get")
    func extentProblemsAreCatalogued() {
        for kind in ExtentProblem.allKinds {
            #expect(FindingKind(kind).entry?.verifier == "disk-scrubber", "\(kind) is not catalogued")
        }
        let finding = Finding(.onlyInTrash, subject: "node/1/volume/2/block/ab")
        #expect(finding.severity == .critical && finding.kind == "only_in_trash")
        #expect(FindingKind(rawValue: "no_such_kind").entry == nil)
    }
}

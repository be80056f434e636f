import Foundation
import Testing
import VigilCore

@Suite("Corruption corpus", .timeLimit(.minutes(1)))
struct CorpusTests {
    static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    /// `VIGIL_WRITE_CORPUS=1 swift test --filter CorpusTests` rewrites the committed corpus.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["VIGIL_WRITE_CORPUS"] == "1"))
    func writeCorpus() throws {
        for (name, _, bytes) in try ExtentFixtures.corpus() {
            try Data(bytes).write(to: Self.corpusDirectory.appendingPathComponent(name))
        }
    }

    @Test("the reader names the right problem for every committed corrupted extent")
    func readerNamesEveryProblem() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.corpusDirectory.path).filter { $0.hasSuffix(".extent") }
        let expected = Set(try ExtentFixtures.corpus().map(\.name))
        #expect(Set(files) == expected, "the committed corpus has one file per problem kind")
        for name in files.sorted() {
            let kind = ExtentProblem.Kind(rawValue: String(name.prefix { $0 != "." }))
            var options = ExtentScanOptions()
            if name.contains(".sealed.") { options.expectSealed = true }
            let report = try ExtentReader(path: Self.corpusDirectory.appendingPathComponent(name).path).scan(options: options)
            #expect(report.problemKinds.contains(kind), "\(name): found \(report.problems)")
            #expect(report.problems.first?.kind == kind, "\(name): the first problem named is \(String(describing: report.problems.first))")
        }
    }
}

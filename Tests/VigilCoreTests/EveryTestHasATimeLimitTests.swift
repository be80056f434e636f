import Foundation
import Testing

/// A test without a time limit can hang the whole suite (a daemon that never
/// answers, a condition never met). Every test function in `Tests/` must carry
/// `.timeLimit(...)` in its own attribute or in the attribute of the suite
/// declared before it in its file.
@Suite(.timeLimit(.minutes(1)))
struct EveryTestHasATimeLimitTests {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()

    /// One attribute of a declaration: its name and its argument text.
    struct Attribute: Equatable {
        var name: String
        var arguments: String
        var line: Int
    }

    /// The `@Test` and `@Suite` attributes of a Swift source, in order. Only those
    /// that begin a line count (a mention in a comment or a string does not), and
    /// the argument list is read to its closing parenthesis across lines,
    /// skipping parentheses inside string literals.
    static func attributes(in source: String) -> [Attribute] {
        let text = Array(source.unicodeScalars)
        var found: [Attribute] = []
        var line = 1, lineStart = true, i = 0
        while i < text.count {
            if text[i] == "\n" { line += 1; lineStart = true; i += 1; continue }
            if text[i] == " " || text[i] == "\t" { i += 1; continue }
            defer { lineStart = false }
            guard lineStart, text[i] == "@" else { i += 1; continue }
            var end = i + 1
            while end < text.count, text[end].properties.isAlphabetic { end += 1 }
            let name = String(String.UnicodeScalarView(text[(i + 1)..<end]))
            i = end
            guard name == "Test" || name == "Suite" else { continue }
            let at = line
            var arguments = ""
            if i < text.count, text[i] == "(" {
                var depth = 0, inString = false
                repeat {
                    let c = text[i]
                    arguments.unicodeScalars.append(c)
                    if c == "\n" { line += 1 }
                    if inString {
                        if c == "\\" { i += 1; if i < text.count { arguments.unicodeScalars.append(text[i]) } } else if c == "\"" { inString = false }
                    } else if c == "\"" {
                        inString = true
                    } else if c == "(" {
                        depth += 1
                    } else if c == ")" {
                        depth -= 1
                    }
                    i += 1
                } while depth > 0 && i < text.count
            }
            found.append(Attribute(name: name, arguments: arguments, line: at))
        }
        return found
    }

    /// The lines of `source` whose `@Test` has no time limit, its own or its suite's.
    static func testsWithoutATimeLimit(in source: String) -> [Int] {
        var suiteHasLimit = false
        var missing: [Int] = []
        for attribute in attributes(in: source) {
            let limited = attribute.arguments.contains(".timeLimit(")
            if attribute.name == "Suite" { suiteHasLimit = limited } else if !limited && !suiteHasLimit { missing.append(attribute.line) }
        }
        return missing
    }

    @Test func theScannerSeesWhatItMust() {
        let source = """
            // %Test in a comment is no test
            %Suite("a (suite)", .serialized)
            struct A {
                %Test("names with \\"quotes\\" and (parentheses)",
                      .timeLimit(.minutes(2)))
                func limited() {}
                %Test func unlimited() { let s = "%Test" }
            }
            %Suite(.timeLimit(.minutes(1))) struct B {
                %Test(arguments: [1, 2]) func inherits(n: Int) {}
            }
            %Suite struct C {
                %Test("x") func alsoUnlimited() {}
            }
            """.replacingOccurrences(of: "%", with: "@")  // not attributes of this file
        #expect(Self.attributes(in: source).map(\.name) == ["Suite", "Test", "Test", "Suite", "Test", "Suite", "Test"])
        #expect(Self.testsWithoutATimeLimit(in: source) == [7, 13])
    }

    @Test func everyTestInTheSuiteHasATimeLimit() throws {
        let files = FileManager.default.enumerator(atPath: Self.testsDirectory.path)!.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") }
        #expect(files.count > 20, "the scan found the test sources under \(Self.testsDirectory.path)")
        var tests = 0
        var missing: [String] = []
        for file in files.sorted() {
            let source = try String(contentsOf: Self.testsDirectory.appendingPathComponent(file), encoding: .utf8)
            tests += Self.attributes(in: source).filter { $0.name == "Test" }.count
            missing += Self.testsWithoutATimeLimit(in: source).map { "Tests/\(file):\($0)" }
        }
        #expect(tests > 50)
        #expect(missing.isEmpty, "tests without .timeLimit (on the test or its suite): \(missing.joined(separator: ", "))")
    }
}

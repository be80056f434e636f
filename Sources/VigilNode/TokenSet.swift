import Foundation
import VigilCore

/// Bearer tokens and the role each grants. Compared in constant time.
public struct TokenSet: Sendable {
    public enum Role: Int, Sendable, Comparable {
        case reader = 1
        case admin = 2
        public static func < (a: Role, b: Role) -> Bool { a.rawValue < b.rawValue }
    }

    private var tokens: [(token: [UInt8], role: Role)] = []

    public init(reader: String? = nil, admin: String? = nil) {
        if let reader, !reader.isEmpty { tokens.append((Array(reader.utf8), .reader)) }
        if let admin, !admin.isEmpty { tokens.append((Array(admin.utf8), .admin)) }
    }

    public var isEmpty: Bool { tokens.isEmpty }

    /// Reads `reader:<token>` / `admin:<token>` lines (blank lines and `#` comments ignored).
    public static func load(file: String) throws -> TokenSet {
        let text = try String(contentsOfFile: file, encoding: .utf8)
        var set = TokenSet()
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let role = ["reader": Role.reader, "admin": .admin][String(parts[0])], !parts[1].isEmpty else {
                throw TokenFileError(message: "\(file):\(number + 1): expected reader:<token> or admin:<token>")
            }
            set.tokens.append((Array(parts[1].utf8), role))
        }
        return set
    }

    /// The role `token` grants, or nil. Every candidate is compared in full.
    public func role(of token: String) -> Role? {
        let given = Array(token.utf8)
        var granted: Role?
        for candidate in tokens where constantTimeEqual(candidate.token, given) {
            granted = max(granted ?? candidate.role, candidate.role)
        }
        return granted
    }
}

public struct TokenFileError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

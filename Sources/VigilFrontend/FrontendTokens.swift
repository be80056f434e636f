import Foundation
import VigilCore

/// What a frontend token lets its holder do. `admin` implies every other role.
public struct FrontendRole: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// `GET /v1/blocks/<key>`; also learns whether a PUT was deduplicated
    /// (a reader can find that out with a GET anyway).
    public static let read = FrontendRole(rawValue: "read")
    /// `PUT /v1/blocks`. Without `read`, the answer names the key only: it does
    /// not say whether the content was already stored, nor where.
    public static let write = FrontendRole(rawValue: "write")
    /// `DELETE /v1/blocks/<key>`.
    public static let delete = FrontendRole(rawValue: "delete")
    /// Everything above.
    public static let admin = FrontendRole(rawValue: "admin")

    public static let all: [FrontendRole] = [.read, .write, .delete, .admin]

    public var description: String { rawValue }
}

/// The frontend's bearer tokens and the roles each grants, compared in constant time.
public struct FrontendTokens: Sendable {
    private var tokens: [(token: [UInt8], role: FrontendRole)] = []

    public init() {}

    /// One token per role (nil or empty: no token for that role).
    public init(_ byRole: [FrontendRole: String]) {
        for role in FrontendRole.all {
            if let token = byRole[role] { add(token, role: role) }
        }
    }

    public var isEmpty: Bool { tokens.isEmpty }

    public mutating func add(_ token: String, role: FrontendRole) {
        guard !token.isEmpty else { return }
        tokens.append((Array(token.utf8), role))
    }

    /// Reads `<role>:<token>` lines, role one of read, write, delete, admin
    /// (blank lines and `#` comments ignored). A token on several lines has
    /// every role it is listed with.
    public static func load(file: String) throws -> FrontendTokens {
        let text: String
        do {
            text = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            throw FrontendTokenFileError(message: "cannot read the tokens file \(file): \(error.localizedDescription)")
        }
        var set = FrontendTokens()
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: ":", maxSplits: 1)
            let role = parts.first.map { FrontendRole(rawValue: String($0)) }
            guard parts.count == 2, let role, FrontendRole.all.contains(role), !parts[1].isEmpty else {
                // The line itself may be a token: never echo it.
                throw FrontendTokenFileError(message: "\(file):\(number + 1): expected <role>:<token> with role read, write, delete or admin")
            }
            set.add(String(parts[1]), role: role)
        }
        guard !set.isEmpty else { throw FrontendTokenFileError(message: "\(file) holds no tokens") }
        return set
    }

    /// The roles `token` grants (`admin` expanded to every role), or nil when
    /// it matches no token. Every candidate is compared in full.
    public func roles(of token: String) -> Set<FrontendRole>? {
        let given = Array(token.utf8)
        var granted: Set<FrontendRole> = []
        var matched = false
        for candidate in tokens {
            if constantTimeEqual(candidate.token, given) {
                matched = true
                granted.insert(candidate.role)
            }
        }
        guard matched else { return nil }
        return granted.contains(.admin) ? Set(FrontendRole.all) : granted
    }
}

public struct FrontendTokenFileError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

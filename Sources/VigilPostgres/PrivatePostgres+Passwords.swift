import Foundation
import VigilCore

/// The private server's passwords: generated when the cluster is created, kept
/// in `passfile` (mode 0600, `host:port:database:user:password` lines as libpq
/// reads them), given to the component roles once the migrations made them.
extension PrivatePostgres {
    /// Writes a new passfile with a random password for the superuser and for
    /// every component role; returns the superuser's (for initdb's `--pwfile`).
    func writePassfile() throws -> String {
        let users = [user] + DatabaseRole.all.map(\.rawValue)
        let passwords = users.map { _ in Self.randomPassword() }
        let lines = zip(users, passwords).map { "*:\(port):*:\($0):\($1)\n" }.joined()
        try writeOwnerOnly(lines, to: passfile)
        return passwords[0]
    }

    /// The passfile's passwords by user.
    public func passwords() throws -> [String: String] {
        let text = try String(contentsOf: passfile, encoding: .utf8)
        var out: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false)
            guard fields.count == 5 else { continue }
            out[String(fields[3])] = String(fields[4])
        }
        return out
    }

    /// Sets each component role's password from the passfile. Run after
    /// migrating (the migrations create the roles); roles not created yet are skipped.
    public func setRolePasswords() async throws {
        let passwords = try passwords()
        let admin = try await PostgresConnection.connect(url: url())
        for role in DatabaseRole.all {
            guard let password = passwords[role.rawValue] else { continue }
            guard try await admin.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [.text(role.rawValue)]).count == 1 else { continue }
            // ALTER ROLE takes no parameters; the password is hex, quoted as a literal anyway.
            try await admin.simpleQuery("ALTER ROLE \(quoteIdentifier(role.rawValue)) PASSWORD \(quoteLiteral(password))")
        }
    }

    /// 32 random bytes, hex: nothing in it needs escaping in a passfile or a literal.
    static func randomPassword() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}

/// Writes `text` to a file only its owner can read (created 0600, never wider).
func writeOwnerOnly(_ text: String, to file: URL) throws {
    let fd = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { throw FileIOError(path: file.path, operation: "create", errno: errno) }
    defer { close(fd) }
    // An existing file keeps its mode through O_CREAT: narrow it before writing.
    guard fchmod(fd, 0o600) == 0 else { throw FileIOError(path: file.path, operation: "chmod", errno: errno) }
    let bytes = Array(text.utf8)
    guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
        throw FileIOError(path: file.path, operation: "write", errno: errno)
    }
}

/// Quotes a string literal for the few statements that cannot take parameters.
func quoteLiteral(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
}

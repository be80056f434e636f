import Crypto
import Foundation

/// A secret the frontend signs samples with and the watcher checks them with
/// (`Schemas/kafka-sample.md`, "Authentication"). Its `id` travels in each
/// message, so keys can rotate; the secret never leaves the key file.
public struct SampleKey: Sendable {
    public static let minimumSecretBytes = 16
    public let id: UInt32
    /// Raw bytes (`SymmetricKey` is not `Sendable`); wrapped per use.
    private let secretBytes: [UInt8]
    var secret: SymmetricKey { SymmetricKey(data: secretBytes) }

    public init(id: UInt32, secret: [UInt8]) throws(SampleKeyError) {
        guard secret.count >= Self.minimumSecretBytes else {
            throw SampleKeyError("sample key \(id) has \(secret.count) secret bytes; it needs at least \(Self.minimumSecretBytes) (32 recommended)")
        }
        self.id = id
        secretBytes = secret
    }

    /// HMAC-SHA256 over the Kafka key then the value's bytes before the MAC.
    func mac(key: [UInt8], signed: [UInt8]) -> [UInt8] {
        var hmac = HMAC<SHA256>(key: secret)
        hmac.update(data: key)
        hmac.update(data: signed)
        return Array(hmac.finalize())
    }

    func isValid(_ mac: [UInt8], key: [UInt8], signed: [UInt8]) -> Bool {
        var data = key
        data += signed
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: data, using: secret)  // constant time
    }
}

/// The sample keys of a frontend or a watcher: the first signs (the current
/// key), every one verifies (the current and, while rotating, the previous).
///
/// Text form (a key file, or the `…_SAMPLE_KEY` environment variable): one key
/// per line (or comma-separated), `<id>:<secret as hex>`, id a decimal u32,
/// current key first; `#` starts a comment.
public struct SampleKeyring: Sendable {
    public let keys: [SampleKey]
    public var current: SampleKey { keys[0] }

    public init(_ keys: [SampleKey]) throws(SampleKeyError) {
        guard !keys.isEmpty else { throw SampleKeyError("no sample key: a key file needs a line <id>:<hex secret>") }
        guard Set(keys.map(\.id)).count == keys.count else { throw SampleKeyError("a sample key id appears twice") }
        self.keys = keys
    }

    public func key(id: UInt32) -> SampleKey? { keys.first { $0.id == id } }

    /// Parses the text form. Errors name the line, never the secret.
    public static func parse(_ text: String) throws(SampleKeyError) -> SampleKeyring {
        var keys: [SampleKey] = []
        // Comments end at the line; commas separate entries within one (the environment form).
        let entries = text.split(separator: "\n").flatMap { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0].split(separator: ",") }
        for (n, raw) in entries.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let id = UInt32(parts[0]), let secret = hexBytes(parts[1]) else {
                throw SampleKeyError("sample key entry \(n + 1) is not <id>:<hex secret> (id a decimal number)")
            }
            keys.append(try SampleKey(id: id, secret: secret))
        }
        return try SampleKeyring(keys)
    }

    public static func load(file path: String) throws(SampleKeyError) -> SampleKeyring {
        guard let data = FileManager.default.contents(atPath: path) else { throw SampleKeyError("cannot read the sample key file \(path)") }
        do {
            return try parse(String(decoding: data, as: UTF8.self))
        } catch {
            throw SampleKeyError("\(path): \(error.message)")
        }
    }

    /// A new key file's text: one key, `id`, with 32 random bytes.
    public static func generateText(id: UInt32 = 1) -> String {
        var rng = SystemRandomNumberGenerator()
        return "\(id):" + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &rng)) }.joined() + "\n"
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let hi = hexValue(chars[i]), let lo = hexValue(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

public struct SampleKeyError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// What a consumer believes of a message: a version-2 sample whose MAC one of
/// its keys verifies and whose zone is its own; a version-1 sample only when
/// told to (an upgrade window), and then marked unauthenticated.
public struct SampleVerifier: Sendable {
    public var keyring: SampleKeyring?
    public var zone: String?
    public var acceptUnauthenticated: Bool

    /// `keyring` nil: no key configured, every authenticated sample is refused.
    public init(keyring: SampleKeyring?, zone: String?, acceptUnauthenticated: Bool = false) {
        self.keyring = keyring
        self.zone = zone
        self.acceptUnauthenticated = acceptUnauthenticated
    }

    public struct Opened: Sendable, Equatable {
        public var message: SampleMessage
        /// False only for a version-1 sample accepted in an upgrade window.
        public var authenticated: Bool

        public init(message: SampleMessage, authenticated: Bool) {
            self.message = message
            self.authenticated = authenticated
        }
    }

    /// The sample, or an error whose detail is the reason it is refused
    /// ("bad MAC", "unknown key id", "unauthenticated version 1", …).
    public func open(key: [UInt8], value: [UInt8]) throws(SampleDecodeError) -> Opened {
        let envelope = try SampleMessage.parse(key: key, value: value)
        let authenticated: Bool
        if let keyID = envelope.keyID {
            guard let keyring else { throw SampleDecodeError(detail: "bad MAC: no sample key configured (key id \(keyID))") }
            guard let sampleKey = keyring.key(id: keyID) else {
                throw SampleDecodeError(detail: "bad MAC: unknown key id \(keyID) (known: \(keyring.keys.map { "\($0.id)" }.joined(separator: ", ")))")
            }
            let signed = Array(value.dropLast(SampleMessage.macSize))
            guard sampleKey.isValid(envelope.mac, key: key, signed: signed) else {
                throw SampleDecodeError(detail: "bad MAC (key id \(keyID))")
            }
            authenticated = true
        } else {
            guard acceptUnauthenticated else {
                throw SampleDecodeError(detail: "unauthenticated version \(envelope.version) sample refused (no MAC; --accept-unauthenticated-samples admits them during an upgrade)")
            }
            authenticated = false
        }
        if let zone, envelope.message.zone != zone {
            throw SampleDecodeError(detail: "sample of zone \(envelope.message.zone) on the topic of zone \(zone)")
        }
        return Opened(message: envelope.message, authenticated: authenticated)
    }
}

/// A daemon's configuration is wrong: a code, and a message that says what to
/// fix. It never carries a secret's value.
public struct SettingsError: Error, CustomStringConvertible, Sendable {
    public struct Code: RawRepresentable, Sendable, Hashable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// A required setting is not set anywhere.
        public static let missing = Code(rawValue: "missing")
        /// A value does not parse as its setting's type.
        public static let badValue = Code(rawValue: "bad_value")
        /// The config file names a setting the daemon does not have.
        public static let unknownKey = Code(rawValue: "unknown_key")
        /// The config file (or a secret's file) cannot be read.
        public static let unreadableFile = Code(rawValue: "unreadable_file")
        /// The config file is not one JSON object.
        public static let badFile = Code(rawValue: "bad_file")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public init(message: String) { self.init(.badValue, message) }

    public var description: String { message }
}

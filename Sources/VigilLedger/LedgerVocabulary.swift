/// A word that crosses module or database boundaries (a verifier id, a state
/// of a volume, replica, node, instruction, repair or pass): a `RawRepresentable`
/// struct whose raw value is the string stored today. Any string decodes, so a
/// row written by a newer build reads as an unknown word, never a crash; `isKnown`
/// says whether this build names it.
public protocol LedgerVocabulary: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible
where RawValue == String {
    init(rawValue: String)
    /// Every word this build knows, in the order the schema lists them.
    static var known: [Self] { get }
}

extension LedgerVocabulary {
    public var description: String { rawValue }
    public var isKnown: Bool { Self.known.contains(self) }

}

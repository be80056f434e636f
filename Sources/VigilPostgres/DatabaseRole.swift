/// The PostgreSQL role a component connects as (`Schemas/ledger/0001_ledger.sql`):
/// one per component kind, so a leaked verifier credential writes only that
/// verifier's rows.
public struct DatabaseRole: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The frontend and the master.
    public static let store = DatabaseRole(rawValue: "vigil_store")
    public static let scrubber = DatabaseRole(rawValue: "vigil_scrubber")
    public static let scanner = DatabaseRole(rawValue: "vigil_scanner")
    /// The only role whose trash inspections the master unlinks on.
    public static let inspector = DatabaseRole(rawValue: "vigil_inspector")
    public static let referee = DatabaseRole(rawValue: "vigil_referee")
    public static let watcher = DatabaseRole(rawValue: "vigil_watcher")
    public static let crossZone = DatabaseRole(rawValue: "vigil_cross_zone")
    /// The CLI: reads everything, resolves findings by hand.
    public static let `operator` = DatabaseRole(rawValue: "vigil_operator")

    /// Every role that logs in (not the `vigil_verifier` group).
    public static let all: [DatabaseRole] = [.store, .scrubber, .scanner, .inspector, .referee, .watcher, .crossZone, .operator]

    /// The role each daemon runs as, by executable name.
    public static func of(executable: String) -> DatabaseRole? {
        switch executable {
        case "vigil-frontend", "vigil-master": .store
        case "vigil-disk-scrubber": .scrubber
        case "vigil-metadata-scanner": .scanner
        case "vigil-trash-inspector": .inspector
        case "vigil-extent-referee": .referee
        case "vigil-storage-watcher": .watcher
        case "vigil-cross-zone-verifier": .crossZone
        default: nil
        }
    }

    public var description: String { rawValue }

    /// `url` (a `postgresql://` URL) with this role as its user, any password in
    /// it dropped: the password comes from the passfile the URL names
    /// (`passfile=`) or `PGPASSFILE`, never from the URL.
    public func url(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let host = rest[..<authorityEnd].split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        return url[..<scheme.upperBound] + rawValue + "@" + host + rest[authorityEnd...]
    }
}

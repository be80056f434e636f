import ArgumentParser
import VigilPostgres

struct Zone: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record what must verify a zone (the sign-off gate expects exactly this, whatever its command line).",
        subcommands: [Configure.self, Show.self])

    struct Configure: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record the zone's name, verifier profile, watcher stages, scanner shards and cross-zone coverage.",
            discussion: """
                The gate then expects a complete pass of: a disk scrubber and an extent referee per \
                live node, the metadata scanner (or each of its shards), the trash inspector, every \
                watcher stage, and the cross-zone verifier when --cross-zone is on. Run it once per \
                zone after `vigil migrate`; run it again when the deployment changes.
                """)
        @Option(help: "postgresql:// URL of the zone's block index (default: VIGIL_DATABASE_URL, then the cluster's zone named --zone).") var database: String?
        @OptionGroup var location: ClusterLocation
        @Option(help: "The zone's name, as its verifiers are given it (--zone).") var zone: String
        @Option(help: "The verifiers' cadence profile: production or dev.") var profile = "production"
        @Option(name: .customLong("watcher-stages"), help: "The storage watcher's stages (default: the profile's, 1m,1h,1d,7d,30d in production).") var watcherStages: String?
        @Option(name: .customLong("scanner-shards"), help: "How many metadata-scanner shards split the key space.") var scannerShards = 1
        @Option(name: .customLong("cross-zone"), help: "Whether the cross-zone verifier covers this zone's blocks (true or false).") var crossZone = true

        func validate() throws {
            guard ["production", "dev"].contains(profile) else { throw ValidationError("--profile is production or dev") }
            guard scannerShards > 0 else { throw ValidationError("--scanner-shards must be 1 or more") }
            guard !zone.isEmpty else { throw ValidationError("--zone must not be empty") }
        }

        func run() async throws {
            let url = try location.database(database, zone: zone)
            let stages = watcherStages.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            let topology = ZoneTopology(zone: zone, profile: profile, watcherStages: stages, scannerShards: scannerShards, crossZone: crossZone)
            try await topology.save(try await PostgresConnection.connect(url: url))
            print(Show.describe(topology))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The zone's recorded topology.")
        @OptionGroup var target: ZoneDatabaseOptions

        func run() async throws {
            let url = try target.url()
            guard let topology = try await ZoneTopology.load(try await PostgresConnection.connect(url: url)) else {
                print("no topology recorded: run `vigil zone configure`")
                throw ExitCode(1)
            }
            print(Self.describe(topology))
        }

        static func describe(_ t: ZoneTopology) -> String {
            "zone \(t.zone): profile \(t.profile), watcher stages \(t.watcherStages.joined(separator: ",")), "
                + "scanner shards \(t.scannerShards), cross-zone \(t.crossZone ? "yes" : "no")"
        }
    }
}

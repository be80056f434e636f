import ArgumentParser
import VigilDev
import VigilFrontendClient

/// `--cluster FILE` and `--zone Z`: how every command finds a running cluster.
struct ClusterOptions: ParsableArguments {
    @Option(help: "The cluster file `vigil dev up` wrote.")
    var cluster: String = ClusterFile.defaultPath

    @Option(help: "Zone to talk to (default: the first).")
    var zone: String?

    func load() throws -> ClusterFile { try ClusterFile.load(cluster) }

    func frontend() throws -> FrontendClient {
        FrontendClient(address: try load().zone(zone).frontend)
    }
}

import ArgumentParser
import Foundation
import VigilDev
import VigilFrontendClient

/// `--cluster FILE` and `--zone Z`: how every command finds a running cluster.
struct ClusterOptions: ParsableArguments {
    @Option(help: "The cluster file `vigil dev up` wrote.")
    var cluster: String = ClusterFile.defaultPath

    @Option(help: "Zone to talk to (default: the first).")
    var zone: String?

    func load() throws -> ClusterFile { try ClusterFile.load(cluster) }

    /// A client of the zone's frontend sending `token`.
    func frontend(token: String) throws -> FrontendClient {
        FrontendClient(address: try load().zone(zone).frontend, token: token)
    }
}

/// `--token-file`: the bearer token a command sends to the frontends.
struct FrontendTokenOptions: ParsableArguments {
    @Option(name: .customLong("token-file"), help: """
        File holding the frontend token to send (default: VIGIL_FRONTEND_TOKEN, then the cluster \
        file's token for the role the command needs).
        """)
    var tokenFile: String?

    /// The token from `--token-file`, else `VIGIL_FRONTEND_TOKEN`, else the
    /// cluster file's token for `role`. Never a command-line value: argv is
    /// visible to every user of the machine.
    func token(_ cluster: ClusterFile?, role: KeyPath<ClusterFile.FrontendTokens, String>) throws -> String {
        if let tokenFile {
            let text: String
            do {
                text = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                throw CLIError("cannot read the token file \(tokenFile): \(error.localizedDescription)")
            }
            guard !text.isEmpty else { throw CLIError("\(tokenFile) is empty; it should hold a frontend token") }
            return text
        }
        if let token = environment("VIGIL_FRONTEND_TOKEN") { return token }
        if let token = cluster?.frontendTokens?[keyPath: role] { return token }
        throw CLIError("no frontend token: give --token-file, set VIGIL_FRONTEND_TOKEN, or use a cluster file from `vigil dev up`")
    }
}

import Hummingbird
import Logging

/// A daemon's HTTP application: `router` served by Vigil's guarded server with
/// `limits` (`HTTPServerBuilder.vigil`) on `host:port`. Every daemon's endpoint
/// (node, frontend, master, verifiers) is built here.
public func vigilApplication(
    router: Router<BasicRequestContext>, limits: HTTPLimits, host: String, port: Int, serverName: String, logger: Logger
) -> some ApplicationProtocol {
    Application(
        router: router, server: .vigil(limits),
        configuration: .init(address: .hostname(host, port: port), serverName: serverName), logger: logger)
}

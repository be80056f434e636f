import Foundation
import Testing
import VigilCore
import VigilDev
import VigilFrontendClient
import VigilPostgres
import VigilTestSupport
#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("Sign-off gate", .serialized, .timeLimit(.minutes(6)))
struct GateTests {
    static func gate(_ cluster: ClusterFile, _ extra: [String] = []) throws -> (status: Int32, output: String) {
        try Command.runStatus(["\(Processes.executableDirectory)/vigil", "gate", "--cluster", DevCluster.clusterPath(cluster.directory), "--window", "10m"] + extra)
    }

    @Test("signs off after a clean full pass of every verifier, blocks on an injected fault naming its finding, and writes valid JUnit")
    func gateVerdicts() async throws {
        try await withTestCluster(volumeTargetBytes: 64 << 10, verifiers: true) { (cluster: ClusterFile) async throws in
            let frontend = cluster.frontendClient()
            for _ in 0..<200 { _ = try await frontend.put(randomBlock(512...2048)) }
            var last = (status: Int32(-1), output: "")
            #expect(try await eventually(timeout: .seconds(240), interval: .seconds(1)) {
                last = try Self.gate(cluster)
                return last.status == 0
            }, "gate never signed off: \(last.output)")
            #expect(last.output.contains("SIGN OFF"))

            // A flipped bit in one replica: the scrubber finds it and the gate blocks, naming it.
            let db = try await PostgresConnection.connect(url: cluster.zones[0].database)
            let volume = try #require(try await cluster.index.volumes(inState: "sealed").first).id
            let replica = try await cluster.index.replicas(of: volume)[0]
            let node = cluster.zones[0].nodes.first { $0.id == replica.node.id }!
            let path = "\(node.dataDirectory)/extents/v\(volume).g1.extent"
            let entry = try #require(try ExtentReader(path: path).footer()?.first)
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[Int(entry.offset) + 64 + Int(entry.length) / 2] ^= 0x10
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(try await eventually(timeout: .seconds(60), interval: .seconds(1)) {
                last = try Self.gate(cluster)
                return last.status == 1 && last.output.contains("data_crc")
            }, "gate did not block on the fault: \(last.output)")
            #expect(last.output.contains("BLOCKED"))
            _ = db

            // JUnit: well-formed XML, one test case per verifier and scope, failures for the fault.
            let junit = try Self.gate(cluster, ["--format", "junit"])
            #expect(junit.status == 1)
            let parser = XMLParser(data: Data(junit.output.utf8))
            let counter = JUnitCounter()
            parser.delegate = counter
            #expect(parser.parse(), "JUnit output parses as XML")
            #expect(counter.testcases >= 10)
            #expect(counter.failures >= 1)
            #expect(counter.suites == 1)

            // Cannot evaluate: exit 2.
            let unreachable = try Command.runStatus(["\(Processes.executableDirectory)/vigil", "gate", "--database",
                                                     "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"])
            #expect(unreachable.status == 2)
        }
    }
}

final class JUnitCounter: NSObject, XMLParserDelegate {
    var testcases = 0, failures = 0, suites = 0
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        switch name {
        case "testcase": testcases += 1
        case "failure": failures += 1
        case "testsuite": suites += 1
        default: break
        }
    }
}

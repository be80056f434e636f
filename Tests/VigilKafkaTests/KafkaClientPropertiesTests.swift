import Testing
import VigilKafka

@Suite(.timeLimit(.minutes(1))) struct KafkaClientPropertiesTests {
    @Test func parsesClientPropertiesAndNeverEchoesValues() throws {
        let text = "# the watcher\nsecurity.protocol=SASL_PLAINTEXT\n\n sasl.mechanism = PLAIN \nsasl.username=watcher\nsasl.password=pa=ss\n"
        #expect(try KafkaClientProperties.parse(text) == [
            "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.username": "watcher", "sasl.password": "pa=ss",
        ])
        do {
            _ = try KafkaClientProperties.parse("sasl.username=w\nhunter2-no-equals\n")
            Issue.record("a line without = was accepted")
        } catch {
            #expect("\(error)".contains("line 2") && !"\(error)".contains("hunter2"), "\(error)")
        }
        #expect(throws: KafkaPropertiesError.self, "bootstrap servers come from --kafka") {
            try KafkaClientProperties.parse("bootstrap.servers=evil:9092")
        }
    }
}

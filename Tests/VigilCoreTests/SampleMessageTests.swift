import PropertyBased
import Testing
import VigilCore

@Suite struct SampleMessageTests {
    @Test func roundTrip() throws {
        let message = SampleMessage(key: .of([1, 2, 3]), zone: "zone-a", volume: 42, length: 3, writtenAtMicros: 1_700_000_000_123_456)
        let decoded = try SampleMessage.decode(key: message.key.bytes, value: message.encodeValue())
        #expect(decoded == message)
    }

    @Test func malformedMessagesAreErrorsNotCrashes() async {
        let good = SampleMessage(key: .of([9]), zone: "z", volume: 1, length: 1, writtenAtMicros: 5)
        #expect(throws: SampleDecodeError.self) { try SampleMessage.decode(key: [1, 2], value: good.encodeValue()) }
        #expect(throws: SampleDecodeError.self) { try SampleMessage.decode(key: good.key.bytes, value: Array(good.encodeValue().dropLast())) }
        await propertyCheck(count: 2000, input: Gen.uint8().array(of: 0...120)) { value in
            // Random values either decode to something that re-encodes identically or throw.
            if let decoded = try? SampleMessage.decode(key: good.key.bytes, value: value) {
                #expect(decoded.encodeValue() == value)
            }
        }
    }
}

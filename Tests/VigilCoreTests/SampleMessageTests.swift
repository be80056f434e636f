import PropertyBased
import Testing
import VigilCore

@Suite(.timeLimit(.minutes(1))) struct SampleMessageTests {
    @Test func roundTrip() throws {
        let message = SampleMessage(key: .of([1, 2, 3]), zone: "zone-a", volume: 42, length: 3, writtenAtMicros: 1_700_000_000_123_456)
        let decoded = try SampleMessage.parse(key: message.key.bytes, value: message.encodeVersion1Value())
        #expect(decoded.message == message && decoded.version == 1 && decoded.keyID == nil)
    }

    @Test func malformedMessagesAreErrorsNotCrashes() async {
        let good = SampleMessage(key: .of([9]), zone: "z", volume: 1, length: 1, writtenAtMicros: 5)
        #expect(throws: SampleDecodeError.self) { try SampleMessage.parse(key: [1, 2], value: good.encodeValue(signedWith: SampleSeeds.keys.current)) }
        #expect(throws: SampleDecodeError.self) { try SampleMessage.parse(key: good.key.bytes, value: Array(good.encodeValue(signedWith: SampleSeeds.keys.current).dropLast())) }
        await propertyCheck(count: 2000, input: Gen.uint8().array(of: 0...120)) { value in
            // Random values either decode to something that re-encodes identically or throw.
            if let parsed = try? SampleMessage.parse(key: good.key.bytes, value: value) {
                #expect(parsed.encodeValue() == value)
            }
            #expect((try? SampleVerifier(keyring: SampleSeeds.keys, zone: nil).open(key: good.key.bytes, value: value)) == nil, "random bytes never authenticate")
        }
    }
}

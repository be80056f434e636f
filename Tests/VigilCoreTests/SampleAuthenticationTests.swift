import Testing
import VigilCore

/// The key the signed seeds in `FuzzSeeds/sample/` carry (also `Sources/Fuzz`'s).
enum SampleSeeds {
    static let keys = try! SampleKeyring.parse("7:" + String(repeating: "5a", count: 32))
}

@Suite(.timeLimit(.minutes(1))) struct SampleAuthenticationTests {
    static let current = try! SampleKeyring.parse("2:" + String(repeating: "c3", count: 32) + "\n1:" + String(repeating: "0f", count: 32))
    static let message = SampleMessage(key: .of([1, 2, 3]), zone: "zone-a", volume: 42, length: 3, writtenAtMicros: 1_700_000_000_123_456)

    /// The reason `value` is refused, nil when it is accepted.
    static func refusal(_ verifier: SampleVerifier, key: [UInt8] = message.key.bytes, _ value: [UInt8]) -> String? {
        do {
            _ = try verifier.open(key: key, value: value)
            return nil
        } catch {
            return error.detail
        }
    }

    @Test func signedSamplesRoundTrip() throws {
        let value = Self.message.encodeValue(signedWith: Self.current.current)
        #expect(value.count == SampleMessage.version2HeaderSize + 6 + SampleMessage.macSize)
        #expect(value[0] == 2 && value[24] == 2, "version 2, signed by the current key, id 2")
        let opened = try SampleVerifier(keyring: Self.current, zone: "zone-a").open(key: Self.message.key.bytes, value: value)
        #expect(opened == .init(message: Self.message, authenticated: true))
        #expect(try SampleMessage.parse(key: Self.message.key.bytes, value: value).encodeValue() == value)
    }

    @Test func everyFlippedByteIsRefused() {
        let verifier = SampleVerifier(keyring: Self.current, zone: nil)
        let key = Self.message.key.bytes, value = Self.message.encodeValue(signedWith: Self.current.current)
        for i in 0..<(key.count + value.count) {
            for bit in [0, 3, 7] {
                var k = key, v = value
                if i < k.count { k[i] ^= 1 << bit } else { v[i - k.count] ^= 1 << bit }
                let reason = Self.refusal(verifier, key: k, v)
                #expect(reason != nil, "byte \(i) bit \(bit) flipped, still accepted")
            }
        }
        // A flipped field or MAC byte is the MAC's to catch (not only the parser's).
        var v = value
        v[8] ^= 1  // volume
        #expect(Self.refusal(verifier, v) == "bad MAC (key id 2)")
        v = value
        v[v.count - 1] ^= 0x80
        #expect(Self.refusal(verifier, v) == "bad MAC (key id 2)")
        var k = key
        k[0] ^= 1  // another block's key: a forged sample for a key never written
        #expect(Self.refusal(verifier, key: k, value) == "bad MAC (key id 2)")
    }

    @Test func wrongOrUnknownKeysAreRefused() throws {
        let other = try SampleKeyring.parse("2:" + String(repeating: "c4", count: 32))
        let forged = Self.message.encodeValue(signedWith: other.current)
        #expect(Self.refusal(SampleVerifier(keyring: Self.current, zone: nil), forged) == "bad MAC (key id 2)", "same id, another secret")
        let unknown = Self.message.encodeValue(signedWith: try SampleKey(id: 9, secret: Array(repeating: 1, count: 32)))
        #expect(Self.refusal(SampleVerifier(keyring: Self.current, zone: nil), unknown)?.hasPrefix("bad MAC: unknown key id 9") == true)
        let signed = Self.message.encodeValue(signedWith: Self.current.current)
        #expect(Self.refusal(SampleVerifier(keyring: nil, zone: nil), signed)?.hasPrefix("bad MAC: no sample key") == true)
    }

    @Test func rotationAcceptsThePreviousKey() throws {
        let previous = try SampleKeyring.parse("1:" + String(repeating: "0f", count: 32))
        let old = Self.message.encodeValue(signedWith: previous.current)
        #expect(Self.refusal(SampleVerifier(keyring: Self.current, zone: nil), old) == nil, "signed by the previous key, still listed")
        let retired = try SampleKeyring.parse("2:" + String(repeating: "c3", count: 32))
        #expect(Self.refusal(SampleVerifier(keyring: retired, zone: nil), old)?.contains("unknown key id 1") == true)
    }

    @Test func version1IsRefusedUnlessAdmitted() throws {
        let v1 = Self.message.encodeVersion1Value()
        let reason = Self.refusal(SampleVerifier(keyring: Self.current, zone: nil), v1)
        #expect(reason?.hasPrefix("unauthenticated version 1 sample refused") == true, "\(reason ?? "accepted")")
        let opened = try SampleVerifier(keyring: Self.current, zone: "zone-a", acceptUnauthenticated: true).open(key: Self.message.key.bytes, value: v1)
        #expect(opened == .init(message: Self.message, authenticated: false), "admitted in an upgrade window, marked unauthenticated")
        // A version-2 header without its MAC is not a version-1 sample.
        let truncated = Array(Self.message.encodeValue(signedWith: Self.current.current).dropLast(SampleMessage.macSize))
        #expect(Self.refusal(SampleVerifier(keyring: Self.current, zone: nil, acceptUnauthenticated: true), truncated) != nil)
    }

    @Test func anotherZonesSampleIsRefused() {
        let value = SampleMessage(key: .of([1]), zone: "zone-b", volume: 1, length: 1, writtenAtMicros: 1).encodeValue(signedWith: Self.current.current)
        #expect(Self.refusal(SampleVerifier(keyring: Self.current, zone: "zone-a"), key: BlockKey.of([1]).bytes, value)
            == "sample of zone zone-b on the topic of zone zone-a", "a genuine sample replayed onto another zone's topic")
    }

    @Test func keyFilesParseAndNeverEchoSecrets() throws {
        let ring = try SampleKeyring.parse("# rotated 2025-01, old key second\n3:\(String(repeating: "AB", count: 32))  # current\n\n2:\(String(repeating: "cd", count: 16))\n")
        #expect(ring.keys.map(\.id) == [3, 2] && ring.current.id == 3)
        #expect(try SampleKeyring.parse("1:\(String(repeating: "00", count: 32)),2:\(String(repeating: "11", count: 32))").keys.count == 2, "env form")
        #expect(try SampleKeyring.parse(SampleKeyring.generateText(id: 5)).current.id == 5)
        for bad in ["", "# nothing", "x:00", "1:\(String(repeating: "zz", count: 32))", "1:00ff", "1:" + String(repeating: "0", count: 63),
                    "1:\(String(repeating: "00", count: 32))\n1:\(String(repeating: "11", count: 32))"] {
            #expect(throws: SampleKeyError.self, "\(bad)") { try SampleKeyring.parse(bad) }
        }
        do {
            _ = try SampleKeyring.parse("1:hunter2hunter2hunter2XY")
            Issue.record("accepted a key that is not hex")
        } catch {
            #expect(!error.description.contains("hunter2"), "\(error)")
        }
    }
}

import Crypto
import Foundation
import Testing
@testable import ReproCore

@Suite struct DSSETests {
    @Test func paeMatchesTheSpecTestVector() {
        let pae = DSSEEnvelope.pae(payloadType: "http://example.com/HelloWorld", payload: Array("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    }

    @Test func paeCountsBytesNotCharacters() {
        let pae = DSSEEnvelope.pae(payloadType: "t", payload: Array("é".utf8))
        #expect(pae == Array("DSSEv1 1 t 2 ".utf8) + [0xC3, 0xA9])
    }

    @Test func base64ReadsStandardAndURLSafeStrictly() {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0x00, 0x01]
        #expect(Base64.encode(bytes) == "+/+/AAE=")
        #expect(Base64.decode("+/+/AAE=") == bytes)
        #expect(Base64.decode("+/+/AAE") == bytes)
        #expect(Base64.decode("-_-_AAE=") == bytes)
        #expect(Base64.decode("-_-_AAE") == bytes)
        #expect(Base64.decode("+/-_AAE=") == nil)  // mixed alphabets
        #expect(Base64.decode("+/+/AAF=") == nil)  // nonzero unused bits
        #expect(Base64.decode("+/+/AA E=") == nil)
        #expect(Base64.decode("+/+/A") == nil)
        #expect(Base64.decode("+/+/AAE==") == nil)
        #expect(Base64.decode("=AAA") == nil)
        #expect(Base64.decode("") == [])
        for n in 0..<20 {
            let data = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64.decode(Base64.encode(data)) == data)
            #expect(Base64.encode(data) == Data(data).base64EncodedString())
        }
    }

    @Test func envelopeRoundTripsAndSignatureCoversPAE() throws {
        let key = SigningKey.generate()
        let envelope = try DSSEEnvelope.sign(
            payload: Array("{}".utf8), payloadType: DSSEEnvelope.inTotoPayloadType, key: key)
        let line = envelope.jsonLine
        let text = String(decoding: line, as: UTF8.self)
        #expect(
            text.hasPrefix(#"{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"keyid":""#))
        let parsed = try DSSEEnvelope.parse(line)
        #expect(parsed == envelope)
        #expect(key.publicKey.key.isValidSignature(parsed.signatures[0].sig, for: envelope.pae))
        #expect(try Verifier.verifyEnvelope(parsed, keys: [key.publicKey]) == [key.keyID])
    }

    @Test func unknownEnvelopeMembersAndDuplicatesAreRejected() {
        #expect(throws: ReproError.self) {
            try DSSEEnvelope.parse(Data(#"{"payload":"","payloadType":"x","signatures":[],"extra":1}"#.utf8))
        }
        #expect(throws: ReproError.self) {
            try DSSEEnvelope.parse(Data(#"{"payload":"","payload":"","payloadType":"x","signatures":[]}"#.utf8))
        }
        #expect(throws: ReproError.self) {
            try DSSEEnvelope.parse(Data(#"{"payload":"","payloadType":"x","signatures":[{"sig":"","other":""}]}"#.utf8))
        }
    }
}

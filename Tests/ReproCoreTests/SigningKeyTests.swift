import Crypto
import Foundation
import Testing
@testable import ReproCore

@Suite struct SigningKeyTests {
    // RFC 8032 section 7.1, TEST 1.
    let rfcSeed = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
    let rfcPublic = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
    let rfcSignature =
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"

    func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            out.append(UInt8(hex[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    /// A signature that cannot be made while writing a manifest is the signing key's problem
    /// (configuration, exit 2), not a failed verification (exit 5). swift-crypto's Ed25519 does
    /// not fail on a valid key, so the error is made from a stand-in underlying error.
    @Test func aSigningFailureIsAConfigurationErrorNamingTheKey() {
        struct Refused: Error, CustomStringConvertible { var description: String { "the library refused" } }
        let key = SigningKey.generate()
        let error = key.signingFailure(Refused())
        #expect(error.kind == .configuration)
        #expect(error.status.rawValue == 2)
        #expect(error.message.contains(key.keyID))
        #expect(error.message.contains("the library refused"))
        #expect(!error.message.lowercased().contains("verif"))
    }

    @Test func pureEd25519MatchesRFC8032() throws {
        let key = SigningKey(try Curve25519.Signing.PrivateKey(rawRepresentation: bytes(rfcSeed)))
        #expect(Hex.encode(key.publicKey.key.rawRepresentation) == rfcPublic)
        #expect(key.publicKey.isValidSignature(bytes(rfcSignature), for: []))
        #expect(!key.publicKey.isValidSignature(bytes(rfcSignature), for: [0]))
    }

    @Test func keyIDIsSHA256OfCanonicalKeyJSON() {
        // sha256 of {"keytype":"ed25519","keyval":{"public":"d75a...511a"},"scheme":"ed25519"}, computed independently.
        #expect(
            ed25519KeyID(rawPublicKey: bytes(rfcPublic))
                == "74c181c7ad8a0855d4b55e44d2ba87aabdddb196832571f15f92fece332e4916")
    }

    @Test func pemRoundTrips() throws {
        let key = SigningKey.generate()
        #expect(key.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"))
        let again = try SigningKey(pem: key.pemRepresentation, source: "k")
        #expect(again.key.rawRepresentation == key.key.rawRepresentation)
        let pub = try PublicKey(pem: key.publicKey.pemRepresentation, source: "p")
        #expect(pub.keyID == key.keyID)
    }
}

import Crypto
import Foundation
import Testing
@testable import ReproCore

/// A fresh temporary directory, removed by the caller.
func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("repro-test-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs a program and returns its exit status.
@discardableResult
func runProgram(_ argv: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

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

    @Test func opensslKeysLoadAndAgree() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try runProgram(["openssl", "genpkey", "-algorithm", "ed25519", "-out", "\(dir)/o.key"]) == 0)
        #expect(try runProgram(["openssl", "pkey", "-in", "\(dir)/o.key", "-pubout", "-out", "\(dir)/o.pub"]) == 0)
        chmod("\(dir)/o.key", 0o600)
        let key = try SigningKey(contentsOf: "\(dir)/o.key")
        let pub = try PublicKey(contentsOf: "\(dir)/o.pub")
        #expect(pub.keyID == key.keyID)
        // And openssl reads ours: its public key derivation equals repro's.
        try key.pemRepresentation.write(toFile: "\(dir)/r.key", atomically: true, encoding: .utf8)
        #expect(try runProgram(["openssl", "pkey", "-in", "\(dir)/r.key", "-pubout", "-out", "\(dir)/r.pub"]) == 0)
        #expect(try String(contentsOfFile: "\(dir)/r.pub", encoding: .utf8) == key.publicKey.pemRepresentation)
    }

    @Test func privateKeyReadableByOthersIsRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/k.key"
        try SigningKey.generate().pemRepresentation.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        let error = #expect(throws: ReproError.self) { try SigningKey(contentsOf: path) }
        #expect(error?.message.contains("chmod 600") == true)
        #expect(error?.kind == .configuration)
        chmod(path, 0o600)
        _ = try SigningKey(contentsOf: path)
    }

    @Test func otherKeyTypesAndGarbageGiveClearErrors() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(
            try runProgram([
                "openssl", "genpkey", "-algorithm", "rsa", "-pkeyopt", "rsa_keygen_bits:1024", "-out", "\(dir)/rsa.key",
            ]) == 0)
        #expect(try runProgram(["openssl", "pkey", "-in", "\(dir)/rsa.key", "-pubout", "-out", "\(dir)/rsa.pub"]) == 0)
        #expect(
            try runProgram([
                "openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                "\(dir)/p256.key",
            ]) == 0)
        #expect(
            try runProgram(["openssl", "pkey", "-in", "\(dir)/p256.key", "-pubout", "-out", "\(dir)/p256.pub"]) == 0)
        #expect(
            try runProgram([
                "openssl", "genpkey", "-algorithm", "ed25519", "-aes256", "-pass", "pass:x", "-out", "\(dir)/enc.key",
            ]) == 0)
        for name in ["rsa.key", "p256.key", "enc.key"] { chmod("\(dir)/\(name)", 0o600) }
        func privateError(_ name: String) -> String {
            do {
                _ = try SigningKey(contentsOf: "\(dir)/\(name)")
                return "loaded"
            } catch {
                #expect(error.kind == .configuration, "\(error.message)")
                return error.message
            }
        }
        func publicError(_ name: String) -> String {
            do {
                _ = try PublicKey(contentsOf: "\(dir)/\(name)")
                return "loaded"
            } catch {
                #expect(error.kind == .configuration, "\(error.message)")
                return error.message
            }
        }
        #expect(privateError("rsa.key").contains("is an RSA key"))
        #expect(publicError("rsa.pub").contains("is an RSA key"))
        #expect(privateError("p256.key").contains("elliptic-curve (e.g. P-256)"))
        #expect(publicError("p256.pub").contains("elliptic-curve (e.g. P-256)"))
        #expect(privateError("enc.key").contains("encrypted private key"))
        #expect(publicError("missing.pub").contains("does not exist"))
        try "not a key\n".write(toFile: "\(dir)/garbage.pub", atomically: true, encoding: .utf8)
        #expect(publicError("garbage.pub").contains("not a PEM key file"))
        try "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".write(
            toFile: "\(dir)/short.pub", atomically: true, encoding: .utf8)
        #expect(publicError("short.pub").contains("not a DER SubjectPublicKeyInfo"))
        try SigningKey.generate().publicKey.pemRepresentation.write(
            toFile: "\(dir)/swap.key", atomically: true, encoding: .utf8)
        chmod("\(dir)/swap.key", 0o600)
        #expect(privateError("swap.key").contains("is a public key"))
    }
}

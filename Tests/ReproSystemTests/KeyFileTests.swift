import Foundation
import ReproCore
import Testing
@testable import ReproSystem

/// Runs a program, its output discarded, and returns its exit status.
@discardableResult
private func runProgram(_ argv: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = argv
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// Key files read from disk (`SigningKey(contentsOf:)`, `PublicKey(contentsOf:)`): their mode,
/// their size, and keys of other kinds.
@Suite struct KeyFileTests {
    private func temporaryDirectory() -> String { makeTemporaryDirectory("keys") }

    @Test func opensslKeysLoadAndAgree() throws {
        let dir = temporaryDirectory()
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
        let dir = temporaryDirectory()
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
        let dir = temporaryDirectory()
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

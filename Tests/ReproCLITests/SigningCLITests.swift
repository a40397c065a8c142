import Foundation
import ReproCore
import Testing

@Suite struct SigningCLITests {
    /// `repro keygen -o DIR/name`, returning the loaded private key.
    func keygen(_ sample: SampleCheck, _ name: String = "signer") throws -> SigningKey {
        let result = try CLI.run(["keygen", "-o", sample.directory + "/" + name])
        #expect(result.status == 0, "\(result.stderr)")
        return try SigningKey(contentsOf: sample.directory + "/" + name + ".key")
    }

    @Test func keygenWritesAPrivatePairOnceAndPrintsTheKeyID() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let prefix = sample.directory + "/release"
        let result = try CLI.run(["keygen", "-o", prefix])
        #expect(result.status == 0)
        let keyMode = try FileManager.default.attributesOfItem(atPath: prefix + ".key")[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let key = try SigningKey(contentsOf: prefix + ".key")
        let pub = try PublicKey(contentsOf: prefix + ".pub")
        #expect(result.stdout == pub.keyID + "\n")
        #expect(key.keyID == pub.keyID)
        let before = try Data(contentsOf: URL(fileURLWithPath: prefix + ".key"))
        let again = try CLI.run(["keygen", "-o", prefix])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: prefix + ".key")) == before)
        // A stale .pub alone also blocks, and nothing is half-written.
        try FileManager.default.removeItem(atPath: prefix + ".key")
        #expect(try CLI.run(["keygen", "-o", prefix]).status == 2)
        #expect(!FileManager.default.fileExists(atPath: prefix + ".key"))
    }

    @Test func verifyPrintsWhatItVerifiedAndAgreesWithSha256sum() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let key = try keygen(sample)
        let bundle = try sample.write("repro.intoto.jsonl", sample.manifest(key: key).data)
        let result = try CLI.run(["verify", bundle, "--key", sample.directory + "/signer.pub", "--artifacts", sample.directory])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("signed by \(key.keyID)"))
        #expect(result.stdout.contains("builder:    https://repro.dev/builders/local/v1 (repro 0.1.0)"))
        #expect(result.stdout.contains("source:     source file:///src/hello t1:" + String(repeating: "d4", count: 32)))
        #expect(result.stdout.contains("toolchain:  busybox file:///srv/busybox.tar.gz sha256:" + String(repeating: "9a", count: 32)))
        #expect(result.stdout.contains("verdict:    reproducible (2 runs)"))
        #expect(result.stdout.contains("artifacts:  all 2 subject files match"))
        // The subject lines are sha256sum's format: `sha256sum -c` accepts them in the output directory.
        let sums = result.stdout.split(separator: "\n").filter { $0.count > 66 && Hex.isLowercase(String($0.prefix(64)), length: 64) }
        #expect(sums.count == 2)
        let sumFile = try sample.write("SUMS", Data((sums.joined(separator: "\n") + "\n").utf8))
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["sha256sum", "--quiet", "-c", sumFile]
        check.currentDirectoryURL = URL(fileURLWithPath: sample.directory)
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
    }

    @Test func verifyJSONIsMachineReadable() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let key = try keygen(sample)
        let bundle = try sample.write("m.intoto.jsonl", sample.manifest(key: key).data)
        let ok = try CLI.run(["verify", bundle, "--key", sample.directory + "/signer.pub", "--json"])
        #expect(ok.status == 0)
        let report = try StrictJSON.parse(Data(ok.stdout.utf8))
        #expect(report["verified"] == true)
        #expect(report["verdict"] == "reproducible")
        #expect(report["envelopes"]?.arrayValue?.count == 2)
        #expect(report["artifactsChecked"] == .null)
        try sample.write("out/hello", Data("#!/bin/sh\necho HELLO\n".utf8))
        let bad = try CLI.run(["verify", bundle, "--key", sample.directory + "/signer.pub", "--json", "--artifacts", sample.directory])
        #expect(bad.status == 5)
        let failure = try StrictJSON.parse(Data(bad.stdout.utf8))
        #expect(failure["verified"] == false)
        #expect(failure["error"]?.stringValue?.contains("out/hello: SHA-256 is") == true)
        #expect(bad.stderr.contains("out/hello"))
    }

    @Test func verifyFailsClosedWithExitFive() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let key = try keygen(sample)
        _ = try keygen(sample, "other")
        let manifest = try sample.manifest(key: key)
        let pub = sample.directory + "/signer.pub"
        func verify(_ data: Data, key: String? = nil) throws -> CLI.Result {
            let path = try sample.write("case.intoto.jsonl", data)
            return try CLI.run(["verify", path, "--key", key ?? pub])
        }
        // Another key.
        var result = try verify(manifest.data, key: sample.directory + "/other.pub")
        #expect(result.status == 5 && result.stderr.contains("no signature verifies"))
        // An extra unsigned line.
        let unsigned = try sample.manifest(key: nil)
        result = try verify(manifest.data + unsigned.envelopes[0].jsonLine + Data("\n".utf8))
        #expect(result.status == 5 && result.stderr.contains("line 3: the envelope is unsigned"))
        // An unsigned manifest.
        result = try verify(unsigned.data)
        #expect(result.status == 5 && result.stderr.contains("unsigned"))
        // A changed payload.
        var tampered = manifest
        tampered.envelopes[0].payload = Array(String(decoding: tampered.envelopes[0].payload, as: UTF8.self)
            .replacingOccurrences(of: "build.sh", with: "evil.sh").utf8)
        result = try verify(tampered.data)
        #expect(result.status == 5 && result.stderr.contains("line 1: signature 1") && result.stderr.contains("does not verify"))
        // Not JSON at all.
        result = try verify(Data("hello\n".utf8))
        #expect(result.status == 5 && result.stderr.contains("line 1"))
        // The pair as it was still verifies.
        #expect(try verify(manifest.data).status == 0)
    }

    @Test func requireReproducibleFailsOnSignedNegatives() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let key = try keygen(sample)
        let pub = sample.directory + "/signer.pub"
        let good = try sample.write("good.intoto.jsonl", sample.manifest(key: key).data)
        #expect(try CLI.run(["verify", good, "--key", pub, "--require-reproducible"]).status == 0)
        let failed = try sample.write("failed.intoto.jsonl", sample.manifest(key: key, verdict: .buildFailed).data)
        #expect(try CLI.run(["verify", failed, "--key", pub]).status == 0)
        let strict = try CLI.run(["verify", failed, "--key", pub, "--require-reproducible"])
        #expect(strict.status == 5 && strict.stderr.contains("verdict is build-failed"))
    }

    @Test func verifyInputErrors() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        #expect(try CLI.run(["verify", "x.jsonl"]).status == 64)
        _ = try keygen(sample)
        let missing = try CLI.run(["verify", sample.directory + "/none.jsonl", "--key", sample.directory + "/signer.pub"])
        #expect(missing.status == 2 && missing.stderr.contains("cannot read the bundle"))
        let wrongHalf = try CLI.run(["verify", sample.directory + "/none.jsonl", "--key", sample.directory + "/signer.key"])
        #expect(wrongHalf.status == 2 && wrongHalf.stderr.contains("is a private key"))
    }
}

import Foundation
import ReproCore
import Testing

/// Interoperability with independent implementations: Python's securesystemslib (DSSE) and
/// pyca/cryptography (Ed25519), run from the virtual environment scripts/test-venv.sh builds.
@Suite struct InteropTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The venv's python; a missing venv is a failure, never a skip.
    func python() throws -> String {
        let path =
            ProcessInfo.processInfo.environment["REPRO_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
            ?? InteropTests.root + "/.build-venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw MissingEnvironment(
                description:
                    "the interoperability environment \(path) is missing: run scripts/test-venv.sh (make test does)")
        }
        return path
    }

    /// Runs `dsse_interop.py ARGS...`, returning status and stdout.
    func interop(_ args: [String]) throws -> (status: Int32, stdout: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try python())
        process.arguments = [InteropTests.root + "/scripts/dsse_interop.py"] + args
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func securesystemslibVerifiesReprosEnvelopesAndRejectsTamperedOnes() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        #expect(try CLI.run(["keygen", "-o", sample.directory + "/k"]).status == 0)
        let key = try SigningKey(pemFile: sample.directory + "/k.key")
        let pub = sample.directory + "/k.pub"
        #expect(try interop(["keyid", pub]).stdout == key.keyID + "\n")
        let manifest = try sample.manifest(key: key)
        for (i, envelope) in manifest.envelopes.enumerated() {
            let line = try sample.write("line\(i)", envelope.jsonLine)
            let result = try interop(["verify", line, pub])
            #expect(result.status == 0)
            #expect(result.stdout == key.keyID + "\n")
            var tampered = envelope
            tampered.payload[tampered.payload.count - 2] ^= 0x20
            #expect(try interop(["verify", try sample.write("bad\(i)", tampered.jsonLine), pub]).status == 1)
            tampered = envelope
            tampered.payloadType = "application/json"
            #expect(try interop(["verify", try sample.write("badtype\(i)", tampered.jsonLine), pub]).status == 1)
        }
    }

    @Test func reproVerifiesEnvelopesSignedBySecuresystemslibAndCryptography() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        // A key from repro keygen, and one from openssl.
        #expect(try CLI.run(["keygen", "-o", sample.directory + "/k"]).status == 0)
        let opensslKey = sample.directory + "/o.key"
        #expect(try runTool(["openssl", "genpkey", "-algorithm", "ed25519", "-out", opensslKey]) == 0)
        #expect(
            try runTool(["openssl", "pkey", "-in", opensslKey, "-pubout", "-out", sample.directory + "/o.pub"]) == 0)
        chmod(opensslKey, 0o600)
        let payloads = try sample.manifest(key: nil).envelopes.map(\.payload)
        for (signer, prefix) in [("sign-sslib", "k"), ("sign-pyca", "o")] {
            var lines: [String] = []
            for (i, payload) in payloads.enumerated() {
                let file = try sample.write("payload\(i)", Data(payload))
                let result = try interop([signer, file, sample.directory + "/\(prefix).key"])
                #expect(result.status == 0)
                lines.append(result.stdout.trimmingCharacters(in: .newlines))
            }
            let pub = sample.directory + "/\(prefix).pub"
            let bundle = try sample.write("\(signer).intoto.jsonl", Data((lines.joined(separator: "\n") + "\n").utf8))
            let ok = try CLI.run(["verify", bundle, "--key", pub, "--artifacts", sample.artifacts])
            #expect(ok.status == 0, "\(signer): \(ok.stderr)")
            // Tampered: the second statement's payload swapped for the first's, signatures kept.
            let first = try StrictJSON.parse(Data(lines[0].utf8)).objectValue!
            var second = try StrictJSON.parse(Data(lines[1].utf8)).objectValue!
            second["payload"] = first["payload"]
            let bad = try sample.write(
                "\(signer)-bad.intoto.jsonl",
                Data((lines[0] + "\n" + JSONValue.object(second).serializedString + "\n").utf8))
            let rejected = try CLI.run(["verify", bad, "--key", pub])
            #expect(rejected.status == 5, "\(signer): \(rejected.stdout)")
            // And securesystemslib rejects the same tampered line.
            let badLine = try sample.write("\(signer)-bad-line", JSONValue.object(second).serialized())
            if signer == "sign-sslib" {
                #expect(try interop(["verify", badLine, pub]).status == 1)
            }
        }
    }

    @Test func predicatesMatchTheirPublishedSchemas() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let schemas = InteropTests.root + "/docs/schemas/"
        let a = "t1:" + String(repeating: "1a", count: 32), b = "t1:" + String(repeating: "2b", count: 32)
        let cases: [ReproducibilityInputs] = [
            ReproducibilityInputs(
                runs: [
                    RunRecord(index: 1, outputTreeDigest: a, exitStatus: 0),
                    RunRecord(index: 2, outputTreeDigest: a, exitStatus: 0),
                ], verdict: .reproducible),
            ReproducibilityInputs(
                runs: [
                    RunRecord(index: 1, outputTreeDigest: a, exitStatus: 0),
                    RunRecord(index: 2, outputTreeDigest: b, exitStatus: 0),
                ], verdict: .differ,
                differences: [
                    DifferingFile(path: "out/x", kind: .missing, sizes: [12, nil], firstDifferingOffset: nil)
                ]),
            ReproducibilityInputs(
                runs: [RunRecord(index: 1, outputTreeDigest: nil, exitStatus: 2)], verdict: .buildFailed),
            // A rebuild's: run 1 the rebuild, run 2 the original, and the bundle it rebuilt.
            ReproducibilityInputs(
                runs: [
                    RunRecord(index: 1, outputTreeDigest: a, exitStatus: 0),
                    RunRecord(index: 2, outputTreeDigest: a, exitStatus: 0),
                ], verdict: .reproducible,
                rebuildOf: RebuildReference(
                    bundleSHA256: String(repeating: "3c", count: 32), signers: [String(repeating: "4d", count: 32)],
                    invocationID: "orig")),
        ]
        for (i, inputs) in cases.enumerated() {
            let predicate = try sample.write("predicate\(i).json", inputs.predicate(invocationID: "inv").serialized())
            #expect(
                try interop(["schema", schemas + "reproducibility-v1.json", predicate]).status == 0, "\(inputs.verdict)"
            )
        }
        var wrong = inputs(cases[0].predicate(invocationID: "inv"))
        wrong["verdict"] = "probably"
        let bad = try sample.write("wrong.json", JSONValue.object(wrong).serialized())
        #expect(try interop(["schema", schemas + "reproducibility-v1.json", bad]).status == 1)
        let statement = try StrictJSON.parse(Data(try sample.manifest(key: nil).envelopes[0].payload))
        let definition = try sample.write("definition.json", statement["predicate"]!["buildDefinition"]!.serialized())
        #expect(try interop(["schema", schemas + "buildtype-check-v1.json", definition]).status == 0)
    }

    func inputs(_ value: JSONValue) -> [String: JSONValue] { value.objectValue! }

    /// The error that fails every interoperability test when the venv is absent.
    struct MissingEnvironment: Error, CustomStringConvertible {
        var description: String
    }

    func runTool(_ argv: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = argv
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

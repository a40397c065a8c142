import Foundation
import ReproCore
import Testing

@Suite struct SigningCLITests {
    /// `repro keygen -o DIR/name`, returning the loaded private key.
    func keygen(_ sample: SampleCheck, _ name: String = "signer") throws -> SigningKey {
        let result = try CLI.run(["keygen", "-o", sample.directory + "/" + name])
        #expect(result.status == 0, "\(result.stderr)")
        return try SigningKey(pemFile: sample.directory + "/" + name + ".key")
    }

    @Test func keygenWritesAPrivatePairOnceAndPrintsTheKeyID() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let prefix = sample.directory + "/release"
        let result = try CLI.run(["keygen", "-o", prefix])
        #expect(result.status == 0)
        let keyMode = try FileManager.default.attributesOfItem(atPath: prefix + ".key")[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let key = try SigningKey(pemFile: prefix + ".key")
        let pub = try PublicKey(pemFile: prefix + ".pub")
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
        let result = try CLI.run([
            "verify", bundle, "--key", sample.directory + "/signer.pub", "--artifacts", sample.artifacts,
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("signed by \(key.keyID)"))
        #expect(result.stdout.contains("builder:    https://repro.dev/builders/local/v1 (repro 0.1.0)"))
        #expect(result.stdout.contains("source:     source file:///src/hello t1:" + String(repeating: "d4", count: 32)))
        #expect(
            result.stdout.contains(
                "toolchain:  busybox file:///srv/busybox.tar.gz sha256:" + String(repeating: "9a", count: 32)))
        #expect(result.stdout.contains("verdict:    reproducible (2 runs)"))
        #expect(
            result.stdout.contains(
                "artifacts:  \(sample.artifacts) is exactly the certified tree \(sample.tree), all 2 subject files match"
            ))
        // The subject lines are sha256sum's format: `sha256sum -c` accepts them in the output directory.
        let sums = result.stdout.split(separator: "\n").filter {
            $0.count > 66 && Hex.isLowercase(String($0.prefix(64)), length: 64)
        }
        #expect(sums.count == 2)
        let sumFile = try sample.write("SUMS", Data((sums.joined(separator: "\n") + "\n").utf8))
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["sha256sum", "--quiet", "-c", sumFile]
        check.currentDirectoryURL = URL(fileURLWithPath: sample.artifacts)
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 0)
    }

    /// The object keys in `value` that are not snake_case, skipping the insides of `digest` sets.
    static func nonSnakeKeys(_ value: JSONValue) -> [String] {
        switch value {
        case .object(let members):
            return members.flatMap { key, member -> [String] in
                let bad = key.contains { !($0.isLowercase || $0.isNumber || $0 == "_") } ? [key] : []
                return bad + (key == "digest" ? [] : nonSnakeKeys(member))
            }.sorted()
        case .array(let items): return items.flatMap(nonSnakeKeys)
        default: return []
        }
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
        #expect(report["artifacts_checked"] == .null)
        #expect(report["schema"] == "https://repro.dev/verify-report/v2")
        // One casing for every --json: snake_case keys, except the algorithm names inside in-toto
        // digest sets (`sha256`, `gitCommit`), which are the attestation format's own.
        #expect(Self.nonSnakeKeys(report) == [])
        try sample.write("artifacts/out/hello", Data("#!/bin/sh\necho HELLO\n".utf8))
        let bad = try CLI.run([
            "verify", bundle, "--key", sample.directory + "/signer.pub", "--json", "--artifacts", sample.artifacts,
        ])
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
        tampered.envelopes[0].payload = Array(
            String(decoding: tampered.envelopes[0].payload, as: UTF8.self)
                .replacingOccurrences(of: "build.sh", with: "evil.sh").utf8)
        result = try verify(tampered.data)
        #expect(
            result.status == 5 && result.stderr.contains("line 1: signature 1")
                && result.stderr.contains("does not verify"))
        // The same as a JSON error object: the kind, and the line as context.
        let json = try CLI.run(["verify", sample.directory + "/case.intoto.jsonl", "--key", pub, "--json"])
        #expect(json.status == 5)
        let failure = try StrictJSON.parse(Data(json.stdout.utf8))
        #expect(failure["kind"] == "verification" && failure["exit_status"] == 5 && failure["verified"] == false)
        #expect(failure["context"] == .object(["line": 1]))
        #expect(failure["error"]?.stringValue?.hasPrefix("line 1: signature 1") == true)
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
        let missing = try CLI.run([
            "verify", sample.directory + "/none.jsonl", "--key", sample.directory + "/signer.pub",
        ])
        #expect(missing.status == 2 && missing.stderr.contains("cannot read the bundle"))
        let missingJSON = try CLI.run([
            "verify", sample.directory + "/none.jsonl", "--key", sample.directory + "/signer.pub", "--json",
        ])
        #expect(missingJSON.status == 2)
        let failure = try StrictJSON.parse(Data(missingJSON.stdout.utf8))
        #expect(failure["kind"] == "configuration" && failure["exit_status"] == 2)
        #expect(
            failure["context"]
                == .object(["path": .string(sample.directory + "/none.jsonl"), "errno": .integer(Int64(ENOENT))]))
        let wrongHalf = try CLI.run([
            "verify", sample.directory + "/none.jsonl", "--key", sample.directory + "/signer.key",
        ])
        #expect(wrongHalf.status == 2 && wrongHalf.stderr.contains("is a private key"))
    }

    /// `repro verify --artifacts DIR`, with `--json` or without, and any further arguments.
    func verifyArtifacts(_ sample: SampleCheck, _ bundle: String, _ more: [String] = []) throws -> CLI.Result {
        try CLI.run(
            ["verify", bundle, "--key", sample.directory + "/signer.pub", "--artifacts", sample.artifacts] + more)
    }

    @Test func verifyRefusesFilesAddedToTheCertifiedTree() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let key = try keygen(sample)
        let bundle = try sample.write("m.intoto.jsonl", sample.manifest(key: key).data)
        #expect(try verifyArtifacts(sample, bundle).status == 0)
        // An unsigned binary placed next to the signed ones.
        let extra = try sample.write("artifacts/out/unsigned", Data("\u{7F}ELF not signed".utf8))
        chmod(extra, 0o755)
        var result = try verifyArtifacts(sample, bundle)
        #expect(result.status == 5)
        #expect(result.stderr.contains("is not the certified output tree"))
        #expect(result.stderr.contains("out/unsigned: extra"))
        result = try verifyArtifacts(sample, bundle, ["--json"])
        #expect(result.status == 5)
        let failure = try StrictJSON.parse(Data(result.stdout.utf8))
        #expect(failure["verified"] == false)
        #expect(failure["exit_status"] == 5)
        #expect(failure["artifacts"]?["extra"] == ["out/unsigned"])
        #expect(failure["artifacts"]?["missing"] == [])
        #expect(failure["artifacts"]?["mode"] == "exact-tree")
        #expect(failure["artifacts"]?["expected_tree_digest"]?.stringValue == sample.tree)
        // --subjects-only checks the listed files alone, as before.
        result = try verifyArtifacts(sample, bundle, ["--subjects-only"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("subjects only"))
        result = try verifyArtifacts(sample, bundle, ["--subjects-only", "--json"])
        #expect(try StrictJSON.parse(Data(result.stdout.utf8))["artifacts"]?["mode"] == "subjects-only")
        try FileManager.default.removeItem(atPath: extra)
        #expect(try verifyArtifacts(sample, bundle).status == 0)
    }

    @Test func verifyNamesSymlinksDirectoriesAndExecuteBitsTheSubjectsDoNotList() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let key = try keygen(sample)
        let bundle = try sample.write("m.intoto.jsonl", sample.manifest(key: key).data)
        let out = sample.artifacts + "/out"
        // A symlink: not a subject, but in the tree digest.
        try FileManager.default.createSymbolicLink(atPath: out + "/link", withDestinationPath: "hello")
        var result = try verifyArtifacts(sample, bundle, ["--json"])
        #expect(result.status == 5)
        var failure = try StrictJSON.parse(Data(result.stdout.utf8))
        #expect(failure["artifacts"]?["extra"] == ["out/link"])
        #expect(failure["error"]?.stringValue?.contains("out/link: extra (a symbolic link") == true)
        try FileManager.default.removeItem(atPath: out + "/link")
        // An empty directory.
        try FileManager.default.createDirectory(atPath: out + "/empty", withIntermediateDirectories: false)
        result = try verifyArtifacts(sample, bundle)
        #expect(result.status == 5)
        #expect(result.stderr.contains("out/empty: extra (a directory"))
        try FileManager.default.removeItem(atPath: out + "/empty")
        // An execute bit set that the certified tree does not have.
        chmod(out + "/hello", 0o755)
        result = try verifyArtifacts(sample, bundle, ["--json"])
        #expect(result.status == 5)
        failure = try StrictJSON.parse(Data(result.stdout.utf8))
        #expect(failure["artifacts"]?["changed"] == ["out/hello"])
        #expect(failure["error"]?.stringValue?.contains("execute bit is set") == true)
        chmod(out + "/hello", 0o644)
        // A missing subject and a changed one, together.
        try FileManager.default.removeItem(atPath: out + "/doc/readme.txt")
        try sample.write("artifacts/out/hello", Data("changed\n".utf8))
        result = try verifyArtifacts(sample, bundle, ["--json"])
        #expect(result.status == 5)
        failure = try StrictJSON.parse(Data(result.stdout.utf8))
        #expect(failure["artifacts"]?["missing"] == ["out/doc/readme.txt"])
        #expect(failure["artifacts"]?["changed"] == ["out/hello"])
        #expect(failure["artifacts"]?["extra"] == [])
        #expect(result.stderr.contains("out/doc/readme.txt: missing"))
        #expect(result.stderr.contains("out/hello: SHA-256 is"))
    }

    @Test func verifyWithoutACertifiedTreeFailsClosed() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let key = try keygen(sample)
        // Run 1 failed: the manifest records no output tree to compare a directory with.
        let bundle = try sample.write("failed.intoto.jsonl", sample.manifest(key: key, verdict: .buildFailed).data)
        let result = try verifyArtifacts(sample, bundle)
        #expect(result.status == 5)
        #expect(result.stderr.contains("no output tree for run 1") && result.stderr.contains("--subjects-only"))
        #expect(try verifyArtifacts(sample, bundle, ["--subjects-only"]).status == 0)
        #expect(
            try CLI.run(["verify", bundle, "--key", sample.directory + "/signer.pub", "--subjects-only"]).status == 64)
    }

    @Test func verifyRefusesAManifestThatCertifiesNothing() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let key = try keygen(sample)
        let emptyTree = try TreeDigest.digest([])
        let bundle = try sample.write(
            "empty.intoto.jsonl", sample.manifest(key: key, subjects: [], tree: emptyTree).data)
        let pub = sample.directory + "/signer.pub"
        var result = try CLI.run(["verify", bundle, "--key", pub])
        #expect(result.status == 5)
        #expect(result.stderr.contains("certifies no files") && result.stderr.contains("--allow-empty"))
        result = try CLI.run(["verify", bundle, "--key", pub, "--json"])
        #expect(result.status == 5)
        #expect(try StrictJSON.parse(Data(result.stdout.utf8))["error"]?.stringValue?.contains("no subjects") == true)
        #expect(try CLI.run(["verify", bundle, "--key", pub, "--allow-empty"]).status == 0)
        // Allowed, an empty manifest still needs an empty directory.
        #expect(try verifyArtifacts(sample, bundle, ["--allow-empty"]).status == 5)
        let empty = sample.directory + "/nothing"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        #expect(try CLI.run(["verify", bundle, "--key", pub, "--allow-empty", "--artifacts", empty]).status == 0)
    }

    /// A signed bundle whose two lines are padded with trailing spaces (JSON whitespace) to
    /// `first` and `second` bytes, newlines not counted.
    func padded(_ manifest: Manifest, first: Int, second: Int) -> Data {
        var data = Data()
        for (envelope, length) in zip(manifest.envelopes, [first, second]) {
            let line = envelope.jsonLine
            data.append(line)
            data.append(Data(repeating: 0x20, count: length - line.count))
            data.append(0x0A)
        }
        return data
    }

    @Test func verifyBoundsTheBundleAndLineSize() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let key = try keygen(sample)
        let manifest = try sample.manifest(key: key)
        let pub = sample.directory + "/signer.pub"
        let mib = 1 << 20
        // A 300 MB file is refused by its size, without being read.
        let big = sample.directory + "/big.intoto.jsonl"
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: 300_000_000)
        try handle.close()
        var result = try CLI.run(["verify", big, "--key", pub])
        #expect(result.status == 5)
        #expect(result.stderr.contains("larger than 64 MiB (67108864 bytes)"))
        try FileManager.default.removeItem(atPath: big)
        // Exactly 64 MiB verifies; one byte more does not.
        let path = sample.directory + "/padded.intoto.jsonl"
        try padded(manifest, first: 32 * mib, second: 32 * mib - 2).write(to: URL(fileURLWithPath: path))
        result = try CLI.run(["verify", path, "--key", pub])
        #expect(result.status == 0, "\(result.stderr)")
        try padded(manifest, first: 32 * mib, second: 32 * mib - 1).write(to: URL(fileURLWithPath: path))
        result = try CLI.run(["verify", path, "--key", pub])
        #expect(result.status == 5)
        #expect(result.stderr.contains("larger than 64 MiB"))
        // A line of exactly 48 MiB verifies; one byte more does not.
        try padded(manifest, first: 48 * mib, second: 4096).write(to: URL(fileURLWithPath: path))
        result = try CLI.run(["verify", path, "--key", pub])
        #expect(result.status == 0, "\(result.stderr)")
        try padded(manifest, first: 48 * mib + 1, second: 4096).write(to: URL(fileURLWithPath: path))
        result = try CLI.run(["verify", path, "--key", pub])
        #expect(result.status == 5)
        #expect(result.stderr.contains("line 1 of the bundle is longer than 48 MiB (50331648 bytes)"))
        try FileManager.default.removeItem(atPath: path)
        // A directory is not a bundle.
        result = try CLI.run(["verify", sample.directory, "--key", pub])
        #expect(result.status == 2 && result.stderr.contains("is a directory"))
    }

    @Test func verifyStopsReadingABundleOfManyLinesAtTheThird() throws {
        let sample = try SampleCheck()
        defer { sample.remove() }
        let key = try keygen(sample)
        let manifest = try sample.manifest(key: key)
        // 20000 validly signed copies of line 1 after the pair: refused at line 3.
        var data = manifest.data
        let line = manifest.envelopes[0].jsonLine + Data([0x0A])
        for _ in 0..<20000 { data.append(line) }
        let path = try sample.write("many.intoto.jsonl", data)
        let result = try CLI.run(["verify", path, "--key", sample.directory + "/signer.pub"])
        #expect(result.status == 5)
        #expect(result.stderr.contains("more than 2 envelopes (line 3"))
    }
}

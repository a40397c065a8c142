import Foundation
import ReproCore
import Testing

/// Real signed bundles from `repro check --sign` on the busybox toolchain, made once for every
/// compare test: builders that agree, one whose build differs, one on another toolchain, and one
/// whose key is not trusted.
struct CompareFixture: Sendable {
    let dir: String
    /// Public key paths of builders a, b and c (trusted) and x (not given to compare).
    let pub: [String: String]
    /// Bundles: `a`, `b` (agree with a, checked at another path), `a2` (a again), `c` (same
    /// inputs, other output: the build reads a host variable), `c-same` (c, agreeing),
    /// `b-toolchain` (b on another toolchain archive), `x` (signed by x).
    let bundle: [String: String]

    static let shared: CompareFixture = {
        let dir = NSTemporaryDirectory() + "repro-cli-compare-" + UUID().uuidString
        let fm = FileManager.default
        try! fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var pub: [String: String] = [:]
        for name in ["a", "b", "c", "x"] {
            let made = try! CLI.run(["keygen", "-o", dir + "/" + name])
            precondition(made.status == 0, made.stderr)
            pub[name] = dir + "/" + name + ".pub"
        }
        // Two checkouts of the same commit at different paths, as on two runners.
        let files = [
            "build.sh": """
            mkdir -p out
            echo "flavor=$FLAVOR" > out/flavor.txt
            echo same > out/same.txt
            """
        ]
        let config = """
            [build]
            command = ["sh", "build.sh"]
            outputs = ["out"]
            toolchains = ["busybox"]
            pass_env = ["FLAVOR"]
            """
        let one = try! Project(files: files, config: config, git: true, at: dir + "/runner-1/src")
        let two = try! Project(files: files, config: config, git: true, at: dir + "/runner-2/src")

        // Another toolchain: the busybox tree plus one file, packed, under the same name.
        let tree = (BusyboxToolchain.shared.specDir as NSString).deletingLastPathComponent + "/tree"
        precondition(shell("cp -a '\(tree)' '\(dir)/tree2' && echo extra > '\(dir)/tree2/extra'", in: dir) == 0)
        let packed = try! CLI.run(["toolchain", "pack", dir + "/tree2", "-o", dir + "/busybox2.tar.gz"])
        precondition(packed.status == 0, packed.stderr)
        let sha = packed.stdout.split(separator: "\n").first { $0.hasPrefix("sha256 ") }!.split(separator: " ")[1]
        try! fm.createDirectory(atPath: dir + "/specs2", withIntermediateDirectories: true)
        try! """
        name = "busybox"
        [[source]]
        url = "file://\(dir)/busybox2.tar.gz"
        sha256 = "\(sha)"
        mount = "/"
        [env]
        PATH = "/bin"
        """.write(toFile: dir + "/specs2/busybox.toml", atomically: true, encoding: .utf8)

        var bundle: [String: String] = [:]
        func check(_ name: String, _ project: Project, key: String, flavor: String = "plain", specs: String? = nil) {
            let path = dir + "/" + name + ".intoto.jsonl"
            var env = ["FLAVOR": flavor]
            if let specs { env["REPRO_TOOLCHAIN_PATH"] = specs }
            let result = try! project.check(["--sign", dir + "/" + key + ".key", "--manifest", path], environment: env)
            precondition(result.status == 0, "check for \(name) failed: \(result.stderr)")
            bundle[name] = path
        }
        check("a", one, key: "a")
        check("b", two, key: "b")
        check("a2", one, key: "a")
        check("c", two, key: "c", flavor: "spicy")
        check("c-same", one, key: "c")
        check("b-toolchain", two, key: "b", specs: dir + "/specs2")
        check("x", one, key: "x")
        return CompareFixture(dir: dir, pub: pub, bundle: bundle)
    }()

    /// `repro compare` with the given bundles, keys (a, b, c by default) and extra arguments.
    func compare(_ bundles: [String], keys: [String] = ["a", "b"], _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["compare"] + bundles.map { bundle[$0]! } + keys.flatMap { ["--key", pub[$0]!] } + extra)
    }

    func keyid(_ name: String) throws -> String { try PublicKey(pemFile: pub[name]!).keyID }
}

@Suite struct CompareCLITests {
    let f = CompareFixture.shared

    @Test func twoBuildersThatAgreeExitZeroWithATable() throws {
        let result = try f.compare(["a", "b"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let a = try f.keyid("a"), b = try f.keyid("b")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(
            lines.contains {
                $0.hasPrefix("subject") && $0.contains(String(a.prefix(12))) && $0.contains(String(b.prefix(12)))
            })
        #expect(lines.contains { $0.hasPrefix("out/flavor.txt") && $0.hasSuffix("agree") })
        #expect(lines.contains { $0.hasPrefix("out/same.txt") && $0.hasSuffix("agree") })
        #expect(lines.contains { $0.hasPrefix("AGREE: 2 of 2 signers") })
        #expect(lines.contains { $0.hasPrefix("toolchains:") && $0.contains("busybox sha256:") })
        #expect(lines.contains("SOURCE_DATE_EPOCH: 1700000000"))
        #expect(result.stderr.isEmpty)

        let json = try CLI.run([
            "compare", f.bundle["a"]!, f.bundle["b"]!, "--key", f.pub["a"]!, "--key", f.pub["b"]!, "--json",
        ])
        #expect(json.status == 0)
        let report = try StrictJSON.parse(Data(json.stdout.utf8))
        #expect(report["result"] == "agree")
        #expect(report["agreeing_signers"] == .array([.string(a), .string(b)]))
        #expect(report["subjects"]?.arrayValue?.map { $0["name"] } == ["out/flavor.txt", "out/same.txt"])
        #expect(report["inputs"]?["profile"]?["digests"]?.arrayValue?.count == 1)
    }

    @Test func aBuildThatDiffersExitsOneAndNamesTheSubjectAndTheBuilders() throws {
        let result = try f.compare(["a", "c"], keys: ["a", "c"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let a = String(try f.keyid("a").prefix(12)), c = String(try f.keyid("c").prefix(12))
        #expect(result.stdout.contains("DISAGREE"))
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("  out/flavor.txt: ") }
        #expect(line?.contains(" by \(a)") == true && line?.contains(" by \(c)") == true, "\(result.stdout)")
        #expect(
            result.stdout.split(separator: "\n").contains { $0.hasPrefix("out/flavor.txt") && $0.hasSuffix("DIFFER") })
        #expect(!result.stdout.contains("  out/same.txt:"))

        let json = try f.compare(["a", "c"], keys: ["a", "c"], ["--json"])
        #expect(json.status == 1)
        let report = try StrictJSON.parse(Data(json.stdout.utf8))
        #expect(report["result"] == "disagree")
        #expect(report["disagreements"]?.arrayValue?.map { $0["subject"] } == ["out/flavor.txt"])
    }

    @Test func aBundleForAnotherToolchainIsNotComparable() throws {
        let result = try f.compare(["a", "b-toolchain"])
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("NOT COMPARABLE"))
        let line = result.stdout.split(separator: "\n").first { $0.hasPrefix("  toolchains: ") }
        #expect(line?.contains("b-toolchain.intoto.jsonl has busybox sha256:") == true, "\(result.stdout)")
        // Nothing else differs: same source, profile, command and epoch.
        #expect(result.stdout.split(separator: "\n").filter { $0.hasPrefix("  ") && $0.contains(" has ") }.count == 1)

        let json = try f.compare(["a", "b-toolchain"], ["--json"])
        #expect(json.status == 2)
        let report = try StrictJSON.parse(Data(json.stdout.utf8))
        #expect(report["result"] == "not_comparable")
        #expect(report["mismatches"]?.arrayValue?.map { $0["aspect"] } == ["toolchains"])
    }

    @Test func aBundleThatDoesNotVerifyExitsFive() throws {
        // Signed by a key that was not given.
        let untrusted = try f.compare(["a", "x"])
        #expect(untrusted.status == 5)
        #expect(untrusted.stderr.contains("1 of 2 bundles does not verify"))
        #expect(untrusted.stderr.contains("x.intoto.jsonl"))
        #expect(untrusted.stdout.isEmpty)
        // Tampered: one byte of the payload changed.
        let text = try String(contentsOfFile: f.bundle["b"]!, encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        var envelope = try StrictJSON.parse(Data(lines[0].utf8)).objectValue!
        var payload = Array(Data(base64Encoded: envelope["payload"]!.stringValue!)!)
        let at = payload.firstIndex(of: UInt8(ascii: "s"))!
        payload[at] = UInt8(ascii: "S")
        envelope["payload"] = .string(Data(payload).base64EncodedString())
        lines[0] = JSONValue.object(envelope).serializedString
        let tampered = f.dir + "/tampered-\(UUID().uuidString).intoto.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: tampered, atomically: true, encoding: .utf8)
        let result = try CLI.run([
            "compare", f.bundle["a"]!, tampered, "--key", f.pub["a"]!, "--key", f.pub["b"]!, "--json",
        ])
        #expect(result.status == 5)
        let report = try StrictJSON.parse(Data(result.stdout.utf8))
        #expect(report["exit_status"] == 5 && report["kind"] == "verification")
        #expect(report["agreed"] == false)
        #expect(report["error"]?.stringValue?.contains("does not verify") == true)
    }

    @Test func aThresholdOfTwoIsMetByTwoOfThreeAndAllThreeIsNot() throws {
        let met = try f.compare(["a", "b", "c"], keys: ["a", "b", "c"], ["--threshold", "2"])
        #expect(met.status == 0, "\(met.stdout)\(met.stderr)")
        #expect(met.stdout.contains("AGREE: 2 of 3 signers"))
        // The dissenting builder is still named.
        let c = String(try f.keyid("c").prefix(12))
        #expect(
            met.stdout.split(separator: "\n").contains {
                $0.hasPrefix("  out/flavor.txt: ") && $0.hasSuffix(" by \(c)")
            })

        let notMet = try f.compare(["a", "b", "c"], keys: ["a", "b", "c"])
        #expect(notMet.status == 1)
        #expect(notMet.stdout.contains("DISAGREE: threshold 3 not met: at most 2 of 3 signers"))
        let explicit = try f.compare(["a", "b", "c"], keys: ["a", "b", "c"], ["--threshold", "3"])
        #expect(explicit.status == 1)
        // Three that agree meet three.
        let all = try f.compare(["a", "b", "c-same"], keys: ["a", "b", "c"])
        #expect(all.status == 0, "\(all.stdout)")
    }

    @Test func theSameSignerTwiceCountsOnce() throws {
        let result = try f.compare(["a", "a2"])
        #expect(result.status == 1, "\(result.stdout)")
        let a = String(try f.keyid("a").prefix(12)), b = String(try f.keyid("b").prefix(12))
        #expect(result.stdout.contains("at most 1 of 2 signers"))
        #expect(result.stdout.contains("\(a) signed 2 bundles and counts once"))
        #expect(result.stdout.contains("\(b): signed none of the bundles"))
        // The same bundle file twice is no different.
        let twice = try f.compare(["a", "a"])
        #expect(twice.status == 1)
    }

    @Test func usageErrorsExit64() throws {
        let one = try f.compare(["a"])
        #expect(one.status == 64)
        #expect(one.stderr.contains("at least 2 bundles"))
        let oneKey = try f.compare(["a", "b"], keys: ["a"])
        #expect(oneKey.status == 64)
        let low = try f.compare(["a", "b"], ["--threshold", "1"])
        #expect(low.status == 64)
        let high = try f.compare(["a", "b"], ["--threshold", "3"])
        #expect(high.status == 64)
        let help = try CLI.run(["compare", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Exit status: 0 agree"))
    }

    /// A bundle that never ends (a device, a pipe) is read up to the manifest size limit and no
    /// further: before, `compare` and `rebuild` held all of it, without bound.
    @Test func aBundleThatNeverEndsIsRefusedAtTheLimit() throws {
        let compared = try CLI.run(["compare", f.bundle["a"]!, "/dev/zero", "--key", f.pub["a"]!, "--key", f.pub["b"]!])
        #expect(compared.status == 5, "\(compared.stderr)")
        #expect(compared.stderr.contains("the bundle is larger than 64 MiB"), "\(compared.stderr)")
        let rebuilt = try CLI.run(["rebuild", "/dev/zero", "--key", f.pub["a"]!])
        #expect(rebuilt.status == 5, "\(rebuilt.stderr)")
        #expect(rebuilt.stderr.contains("the bundle is larger than 64 MiB"), "\(rebuilt.stderr)")
    }

    @Test func unreadableInputsExitTwo() throws {
        let missing = try CLI.run([
            "compare", f.bundle["a"]!, f.dir + "/no-such.intoto.jsonl", "--key", f.pub["a"]!, "--key", f.pub["b"]!,
        ])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("cannot read the bundle"))
        // The --json error object names the bundle that could not be read.
        let missingJSON = try CLI.run([
            "compare", f.bundle["a"]!, f.dir + "/no-such.intoto.jsonl", "--key", f.pub["a"]!, "--key", f.pub["b"]!,
            "--json",
        ])
        #expect(missingJSON.status == 2)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(missingJSON.stdout.utf8)) as? [String: Any])
        #expect(object["kind"] as? String == "configuration")
        #expect((object["context"] as? [String: Any])?["path"] as? String == f.dir + "/no-such.intoto.jsonl")
        // Two files holding the same key are one builder.
        let copy = f.dir + "/a-copy-\(UUID().uuidString).pub"
        try FileManager.default.copyItem(atPath: f.pub["a"]!, toPath: copy)
        let same = try CLI.run(["compare", f.bundle["a"]!, f.bundle["a2"]!, "--key", f.pub["a"]!, "--key", copy])
        #expect(same.status == 2)
        #expect(same.stderr.contains("1 distinct key"))
    }
}

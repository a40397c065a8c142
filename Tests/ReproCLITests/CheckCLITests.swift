import Foundation
import Testing

/// A busybox toolchain packed by `repro toolchain pack`, its spec on a search path, and a cache,
/// made once for every check test.
struct BusyboxToolchain: Sendable {
    let specDir: String
    let cache: String

    static let shared: BusyboxToolchain = {
        let base = NSTemporaryDirectory() + "repro-cli-bb-" + UUID().uuidString
        let tree = base + "/tree"
        let fm = FileManager.default
        try! fm.createDirectory(atPath: tree + "/bin", withIntermediateDirectories: true)
        try! fm.copyItem(atPath: "/bin/busybox", toPath: tree + "/bin/busybox")
        for applet in [
            "sh", "cat", "echo", "date", "mkdir", "cp", "ls", "sort", "head", "tr", "od", "find", "false", "true", "ln",
            "sleep", "hostname", "id", "env", "printf", "rm", "test", "[", "truncate", "tar",
        ] {
            try! fm.createSymbolicLink(atPath: tree + "/bin/" + applet, withDestinationPath: "busybox")
        }
        let archive = base + "/busybox.tar.gz"
        let packed = try! CLI.run(["toolchain", "pack", tree, "-o", archive])
        precondition(packed.status == 0, "packing busybox failed: \(packed.stderr)")
        let sha = packed.stdout.split(separator: "\n").first { $0.hasPrefix("sha256 ") }!.split(separator: " ")[1]
        let specDir = base + "/specs"
        try! fm.createDirectory(atPath: specDir, withIntermediateDirectories: true)
        let spec = """
            name = "busybox"
            description = "busybox-static as a one-file toolchain"
            [[source]]
            url = "file://\(archive)"
            sha256 = "\(sha)"
            mount = "/"
            [env]
            PATH = "/bin"
            """
        try! spec.write(toFile: specDir + "/busybox.toml", atomically: true, encoding: .utf8)
        // The same archive under the default toolchain's name, for the zero-config test.
        try! spec.replacingOccurrences(of: "name = \"busybox\"", with: "name = \"debian-bookworm-build\"")
            .write(toFile: specDir + "/debian-bookworm-build.toml", atomically: true, encoding: .utf8)
        return BusyboxToolchain(specDir: specDir, cache: base + "/cache")
    }()

    /// The environment a check test runs repro with.
    var environment: [String: String] { ["REPRO_TOOLCHAIN_PATH": specDir, "REPRO_CACHE": cache] }
}

/// A project directory for one test.
struct Project {
    let dir: String

    init(files: [String: String], config: String?, git: Bool = false, at dir: String? = nil, reverseOrder: Bool = false)
        throws
    {
        self.dir = dir ?? NSTemporaryDirectory() + "repro-cli-proj-" + UUID().uuidString
        let fm = FileManager.default
        try fm.createDirectory(atPath: self.dir, withIntermediateDirectories: true)
        var all = files
        if let config { all["repro.toml"] = config }
        for (path, text) in all.sorted(by: { reverseOrder ? $0.key > $1.key : $0.key < $1.key }) {
            let full = self.dir + "/" + path
            try fm.createDirectory(
                atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: false, encoding: .utf8)
        }
        if git {
            let status = shell(
                "git init -q . && git add -A && GIT_COMMITTER_DATE='@1700000000 +0000' GIT_AUTHOR_DATE='@1700000000 +0000' git -c user.name=t -c user.email=t@t commit -qm init",
                in: self.dir)
            precondition(status == 0)
        }
    }

    /// Runs `repro check` on the project with the busybox toolchain.
    func check(_ extra: [String] = [], environment: [String: String] = [:]) throws -> CLI.Result {
        var env = BusyboxToolchain.shared.environment
        env.merge(environment) { _, new in new }
        return try CLI.run(["check", dir] + extra, environment: env)
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}

@discardableResult
func shell(_ script: String, in dir: String) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", script]
    p.currentDirectoryURL = URL(fileURLWithPath: dir)
    try! p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

func json(_ text: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
}

private let config = """
    [build]
    command = ["sh", "build.sh"]
    outputs = ["out"]
    toolchains = ["busybox"]
    """

@Suite struct CheckCLITests {
    @Test func reproducibleBuildIsCertifiedWithJSONOnStdout() throws {
        let project = try Project(
            files: [
                "build.sh": """
                mkdir -p out
                echo "epoch=$SOURCE_DATE_EPOCH tz=$TZ lang=$LANG home=$HOME pwd=$(pwd) host=$(hostname) id=$(id -u):$(id -g)" > out/info.txt
                date -d "@$SOURCE_DATE_EPOCH" > out/date.txt
                """
            ], config: config, git: true)
        defer { project.remove() }
        let result = try project.check(["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try json(result.stdout)
        #expect(report["verdict"] as? String == "reproducible")
        #expect(report["exit_code"] as? Int == 0)
        #expect((report["output_digest"] as? String)?.hasPrefix("t1:") == true)
        let outputs = report["outputs"] as! [[String: Any]]
        #expect(outputs.map { $0["path"] as! String } == ["out/date.txt", "out/info.txt"])
        let info = try String(contentsOfFile: project.dir + "/.repro/out/out/info.txt", encoding: .utf8)
        #expect(
            info == "epoch=1700000000 tz=UTC lang=C.UTF-8 home=/build/home pwd=/build/src host=repro id=1000:1000\n")
        #expect((report["source"] as! [String: Any])["selection"] as? String == "git")
        #expect((report["normalization"] as! [String: String])["epoch_source"] == "git")
        #expect(result.stderr.contains("run 2/2"))
    }

    @Test func sameDigestFromAnotherPathAndHostEnvironment() throws {
        let files = [
            "build.sh": """
            mkdir -p out
            env | sort > out/env.txt
            find . -name '*.c' > out/order.txt
            umask > out/umask.txt
            """
        ]
        // Files written in opposite orders, at different paths, checked with different host settings.
        var sources = files
        for name in ["z.c", "a.c", "m.c", "q.c", "b.c", "k.c"] { sources["src/" + name] = name }
        let one = try Project(files: sources, config: config, git: true)
        let two = try Project(
            files: sources, config: config, git: true,
            at: NSTemporaryDirectory() + "another/deeper/path-" + UUID().uuidString, reverseOrder: true)
        defer {
            one.remove()
            two.remove()
        }
        let a = try one.check(
            ["--json"], environment: ["TZ": "Asia/Tokyo", "LANG": "de_DE.UTF-8", "USER": "alice", "CFLAGS": "-O0"])
        let b = try two.check(
            ["--json"],
            environment: ["TZ": "America/New_York", "LC_ALL": "fr_FR.UTF-8", "USER": "bob", "MAKEFLAGS": "-j9"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr)\(b.stderr)")
        let da = try json(a.stdout)["output_digest"] as? String, db = try json(b.stdout)["output_digest"] as? String
        #expect(da != nil && da == db)
        let env = try String(contentsOfFile: one.dir + "/.repro/out/out/env.txt", encoding: .utf8)
        #expect(!env.contains("alice") && !env.contains("CFLAGS") && !env.contains("Tokyo"))
    }

    /// A tarball whose member holds the build's clock: the check opens the gzip and the tar and
    /// names the member and the cause, in the summary, the JSON report and the signed statement.
    @Test func failedCheckExplainsInsideArchives() throws {
        let project = try Project(
            files: [
                "build.sh": """
                mkdir -p out p
                # The clock with a sub-second part, as `date +%s%N` prints it (busybox's date has no %N).
                echo "$(date +%s)$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')" > p/stamp
                echo same > p/same
                tar -cf - p | gzip -n > out/p.tar.gz
                """
            ], config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let result = try project.check(["--json"])
        #expect(result.status == 1, "\(result.stderr)")
        let report = try json(result.stdout)
        let difference = try #require((report["differences"] as? [[String: Any]])?.first)
        let findings = difference["findings"] as? [[String: Any]] ?? []
        let stamp = findings.first { ($0["location"] as? [String]) == ["out/p.tar.gz", "p/stamp"] }
        #expect(stamp?["cause"] as? String == "timestamp", "\(findings)")
        #expect(stamp?["fix"] as? String != nil)
        #expect((difference["explanation"] as? String)?.hasPrefix("timestamp") == true, "\(difference)")
        let human = try project.check()
        #expect(human.status == 1)
        #expect(human.stdout.contains("      - p/stamp: text at byte "), "\(human.stdout)")
        #expect(human.stdout.contains("cause: timestamp; fix: honor SOURCE_DATE_EPOCH"))
        let bundle = try String(contentsOfFile: project.dir + "/.repro/repro.intoto.jsonl", encoding: .utf8)
        let statement = bundle.split(separator: "\n").compactMap { line -> [String: Any]? in
            let envelope = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            let payload = Data(base64Encoded: envelope?["payload"] as? String ?? "") ?? Data()
            return try? JSONSerialization.jsonObject(with: payload) as? [String: Any]
        }.first { $0["predicateType"] as? String == "https://repro.dev/reproducibility/v1" }
        let recorded = ((statement?["predicate"] as? [String: Any])?["differences"] as? [[String: Any]])?.first
        let recordedFindings = recorded?["findings"] as? [[String: Any]] ?? []
        #expect(
            recordedFindings.contains {
                ($0["location"] as? [String]) == ["out/p.tar.gz", "p/stamp"] && $0["cause"] as? String == "timestamp"
            })
        #expect((recorded?["explanation"] as? String)?.hasPrefix("timestamp") == true)
    }

    @Test func nondeterministicBuildIsCaughtAndExplained() throws {
        let project = try Project(
            files: [
                "build.sh": """
                mkdir -p out
                head -c 64 /dev/urandom > out/random.bin
                echo stable > out/stable.txt
                """
            ], config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let result = try project.check(["--json"])
        #expect(result.status == 1)
        let report = try json(result.stdout)
        #expect(report["verdict"] as? String == "differ")
        let differences = report["differences"] as! [[String: Any]]
        #expect(differences.map { $0["path"] as! String } == ["out/random.bin"])
        #expect((differences[0]["explanation"] as? String)?.hasPrefix("random") == true)
        #expect(differences[0]["first_difference"] as? Int != nil)
        let kept = report["kept_runs"] as! String
        #expect(FileManager.default.fileExists(atPath: kept + "/run-1/out/random.bin"))
        #expect(FileManager.default.fileExists(atPath: kept + "/run-2/out/random.bin"))
        #expect(!FileManager.default.fileExists(atPath: project.dir + "/.repro/out"))
    }

    @Test func humanOutputNamesTheDifferingFile() throws {
        // Each run waits a second, so the two runs read different clock seconds.
        let project = try Project(
            files: ["build.sh": "mkdir -p out; sleep 1; date +%s > out/stamp.txt\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let result = try project.check()
        #expect(result.status == 1)
        #expect(result.stdout.contains("NOT REPRODUCIBLE"))
        #expect(result.stdout.contains("changed in run 2: out/stamp.txt"))
        #expect(result.stdout.contains("timestamp"))
    }

    @Test func failedBuildExitsThreeWithItsLog() throws {
        let project = try Project(
            files: ["build.sh": "echo compiling; echo 'error: no such header' >&2; exit 7\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let result = try project.check(["--json"])
        #expect(result.status == 3)
        let report = try json(result.stdout)
        #expect(report["verdict"] as? String == "build-failed")
        let runs = report["runs"] as! [[String: Any]]
        #expect(runs.map { $0["exit_status"] as! Int } == [7, 7])
        #expect(result.stderr.contains("error: no such header"))
        let log = try String(contentsOfFile: runs[0]["log"] as! String, encoding: .utf8)
        #expect(log.contains("compiling"))
    }

    @Test func missingDeclaredOutputIsABuildFailure() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p elsewhere\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let result = try project.check()
        #expect(result.status == 3)
        #expect(result.stderr.contains("did not produce the declared output 'out'"))
    }

    @Test func sparseOutputsAreCountedAtFullLengthAndCopiedSparse() throws {
        // Holes take no tmpfs space, so two 6 MiB sparse files fit an 8 MiB tmpfs; their length
        // is what copying and hashing them costs, and 12 MiB is over the limit.
        let profile = try String(contentsOfFile: RunTests.repoRoot + "/profiles/default.toml", encoding: .utf8)
            .replacingOccurrences(of: "tmpfs_bytes = 4294967296", with: "tmpfs_bytes = 8388608")
            .replacingOccurrences(of: "name = \"default\"", with: "name = \"small\"")
        let files = [
            "profiles/small.toml": profile, "build.sh": "mkdir -p out\ntruncate -s 6M out/a\necho tail >> out/a\n",
        ]
        let small = config + "\nprofile = \"profiles/small.toml\"\n[source]\ndate_epoch = 1700000000\n"
        let one = try Project(files: files, config: small)
        defer { one.remove() }
        let ok = try one.check()
        #expect(ok.status == 0, "\(ok.stderr)")
        var st = stat()
        #expect(stat(one.dir + "/.repro/out/out/a", &st) == 0)
        #expect(st.st_size == 6 * 1024 * 1024 + 5)
        #expect(Int(st.st_blocks) * 512 < 1024 * 1024, "the placed copy is not sparse: \(st.st_blocks) blocks")

        var twice = files
        twice["build.sh"] = "mkdir -p out\ntruncate -s 6M out/a out/b\n"
        let two = try Project(files: twice, config: small)
        defer { two.remove() }
        let over = try two.check()
        #expect(over.status == 3, "\(over.stderr)")
        #expect(over.stderr.contains("more than 8388608 bytes"), "\(over.stderr)")
        #expect(over.stderr.contains("limits.tmpfs_bytes"), "\(over.stderr)")
    }

    @Test func anUnwritableManifestPathIsRefusedBeforeBuilding() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; echo x > out/a\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let missing = try project.check(["--manifest", project.dir + "/no-such-dir/m.intoto.jsonl"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("is not an existing directory"), "\(missing.stderr)")
        #expect(!missing.stderr.contains("run 1/2"))
        #expect(!FileManager.default.fileExists(atPath: project.dir + "/.repro/out"))
        let directory = try project.check(["--manifest", project.dir])
        #expect(directory.status == 2)
        #expect(directory.stderr.contains("is a directory"), "\(directory.stderr)")
    }

    @Test func outputsAreTakenBackWhenTheManifestCannotBeWritten() throws {
        // A file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so that writes fail with EFBIG)
        // that the tiny outputs fit and the manifest does not: every check before the build
        // passes, and the write after it fails, on any file system. The cache is filled first,
        // so that the limit meets nothing else.
        let project = try Project(
            files: ["build.sh": "mkdir -p out; echo x > out/a\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        #expect(try project.check().status == 0)
        let manifest = project.dir + "/m.intoto.jsonl"
        var env = ProcessInfo.processInfo.environment
        env.merge(BusyboxToolchain.shared.environment) { _, new in new }
        let result = try Shell.run(
            [
                "sh", "-c", "trap '' XFSZ; exec prlimit --fsize=1024:unlimited \"$0\" \"$@\"",
                CLI.binary, "check", project.dir, "--manifest", manifest,
            ], environment: env)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("cannot write the manifest"), "\(result.stderr)")
        #expect(result.stderr.contains("were removed again"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.dir + "/.repro/out"))
        #expect(!FileManager.default.fileExists(atPath: manifest))
    }

    @Test func untrackedFilesNeverReachTheBuild() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; ls > out/ls.txt\n"], config: config, git: true)
        defer { project.remove() }
        try "stray".write(toFile: project.dir + "/stray.o", atomically: false, encoding: .utf8)
        let result = try project.check(["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let listing = try String(contentsOfFile: project.dir + "/.repro/out/out/ls.txt", encoding: .utf8)
        #expect(listing == "build.sh\nout\nrepro.toml\n")
        #expect((try json(result.stdout)["source"] as! [String: Any])["untracked_excluded"] as? Int == 1)
    }

    @Test func withoutAnEpochTheCheckSaysHowToSetOne() throws {
        let project = try Project(files: ["build.sh": "mkdir out\n"], config: config)
        defer { project.remove() }
        let result = try project.check()
        #expect(result.status == 2)
        #expect(result.stderr.contains("date_epoch"))
        #expect(result.stderr.contains("--date-epoch"))
    }

    @Test func zeroConfigRunSaysWhatItAssumed() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo built > out/x\n"], config: nil, git: true)
        defer { project.remove() }
        let result = try project.check(["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("no repro.toml"))
        #expect(result.stderr.contains("assumed build command: sh build.sh"))
        let report = try json(result.stdout)
        #expect((report["assumptions"] as! [String]).count >= 3)
        // Every file the build created is an output.
        #expect((report["outputs"] as! [[String: Any]]).map { $0["path"] as! String } == ["out/x"])
    }

    @Test func badConfigIsAnInputError() throws {
        let project = try Project(files: ["build.sh": ""], config: "[build]\ncommand = [\"sh\"]\noutput = [\"x\"]\n")
        defer { project.remove() }
        let result = try project.check()
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown key 'build.output'"))
    }

    @Test func outputsArePlacedWhereAsked() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out/sub; echo a > out/sub/a\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let target = project.dir + "-published"
        defer { try? FileManager.default.removeItem(atPath: target) }
        let result = try project.check(["--output", target, "--keep", project.dir + "-kept", "--runs", "3"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: target + "/out/sub/a", encoding: .utf8) == "a\n")
        #expect(FileManager.default.fileExists(atPath: project.dir + "-kept/run-3/out/sub/a"))
        try? FileManager.default.removeItem(atPath: project.dir + "-kept")
    }

    @Test func signedCheckVerifiesAndATamperedArtifactFails() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; echo signed > out/a\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let keys = project.dir + "-keys"
        try FileManager.default.createDirectory(atPath: keys, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: keys) }
        #expect(try CLI.run(["keygen", "-o", keys + "/k"]).status == 0)
        let checked = try project.check(["--sign", keys + "/k.key"])
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(checked.stdout.contains("(signed)"))
        let bundle = project.dir + "/.repro/repro.intoto.jsonl"
        let verified = try CLI.run([
            "verify", bundle, "--key", keys + "/k.pub", "--artifacts", project.dir + "/.repro/out",
        ])
        #expect(verified.status == 0, "\(verified.stderr)")
        try "changed\n".write(toFile: project.dir + "/.repro/out/out/a", atomically: false, encoding: .utf8)
        let tampered = try CLI.run([
            "verify", bundle, "--key", keys + "/k.pub", "--artifacts", project.dir + "/.repro/out",
        ])
        #expect(tampered.status == 5)
    }

    @Test func wrongKeyFailsBeforeAnyBuild() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; echo x > out/a\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        try "not a key".write(toFile: project.dir + "/bad.key", atomically: false, encoding: .utf8)
        chmod(project.dir + "/bad.key", 0o600)
        let result = try project.check(["--sign", project.dir + "/bad.key"])
        #expect(result.status == 2)
        #expect(!result.stderr.contains("run 1/2"))
    }
}

@Suite struct RunToolchainTests {
    @Test func runResolvesAPinnedToolchainThroughTheCache() throws {
        let env = BusyboxToolchain.shared.environment
        let result = try CLI.run(
            [
                "run", "--toolchain", "busybox", "--", "sh", "-c",
                "echo $PATH; id -u; test -w /bin/busybox || echo read-only",
            ],
            environment: env)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "/bin\n1000\nread-only\n")
        let missing = try CLI.run(["run", "--toolchain", "no-such-toolchain", "--", "true"], environment: env)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("REPRO_TOOLCHAIN_PATH"))
    }
}

@Suite struct CheckFormatsTests {
    /// Reports of every verdict validate against docs/schemas/check-report-v1.json (with the
    /// jsonschema package of the interoperability venv).
    @Test func reportsMatchTheirPublishedSchema() throws {
        let interop = InteropTests()
        let builds = [
            "mkdir -p out; echo same > out/a\n",
            "mkdir -p out; head -c 16 /dev/urandom > out/a\n",
            "exit 2\n",
        ]
        for (i, script) in builds.enumerated() {
            let project = try Project(
                files: ["build.sh": script], config: config + "\n[source]\ndate_epoch = 1700000000\n")
            defer { project.remove() }
            let result = try project.check(["--json"])
            #expect(result.status == [0, 1, 3][i], "\(result.stderr)")
            let path = project.dir + "/report.json"
            try result.stdout.write(toFile: path, atomically: false, encoding: .utf8)
            let checked = try interop.interop([
                "schema", InteropTests.root + "/docs/schemas/check-report-v1.json", path,
            ])
            #expect(checked.status == 0, "report \(i) does not match its schema: \(checked.stdout)")
        }
    }

    /// A check that stops before a report exists prints the error object every `--json` of
    /// repro prints, valid against docs/schemas/error-v1.json, and exits with the kind's status.
    @Test func anErrorBeforeTheReportIsAJSONErrorObject() throws {
        let interop = InteropTests()
        let bad = try Project(files: ["build.sh": ""], config: "[build]\ncommand = [\"sh\"]\noutput = [\"x\"]\n")
        defer { bad.remove() }
        let good = try Project(
            files: ["build.sh": "mkdir -p out; echo x > out/x\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { good.remove() }
        let cases: [(Project, [String], String, Int)] = [
            (bad, ["--json"], "unknown key 'build.output'", 2),
            (good, ["--format", "json", "--sign", good.dir + "/no-such.key"], "cannot read the signing key", 2),
        ]
        for (project, arguments, message, status) in cases {
            let result = try project.check(arguments)
            #expect(result.status == Int32(status), "\(result.stderr)")
            let object = try json(result.stdout)
            #expect(object["verdict"] as? String == "error")
            #expect(object["kind"] as? String == "configuration")
            #expect(object["exit_status"] as? Int == status)
            #expect((object["error"] as? String)?.contains(message) == true, "\(result.stdout)")
            #expect(object["context"] is [String: Any])
            #expect(result.stderr.contains(message))
            let path = project.dir + "/error.json"
            try result.stdout.write(toFile: path, atomically: false, encoding: .utf8)
            let checked = try interop.interop(["schema", InteropTests.root + "/docs/schemas/error-v1.json", path])
            #expect(checked.status == 0, "the error object does not match its schema: \(checked.stdout)")
        }
        let config = try json(try bad.check(["--json"]).stdout)
        #expect((config["context"] as? [String: Any])?["path"] as? String == bad.dir + "/repro.toml")
    }

    /// securesystemslib verifies the envelopes of a real check's signed manifest.
    @Test func aRealCheckManifestVerifiesWithSecuresystemslib() throws {
        let interop = InteropTests()
        let project = try Project(
            files: ["build.sh": "mkdir -p out; echo interop > out/a\n"], config: config, git: true)
        defer { project.remove() }
        #expect(try CLI.run(["keygen", "-o", project.dir + "/k"]).status == 0)
        #expect(try project.check(["--sign", project.dir + "/k.key"]).status == 0)
        let bundle = try String(contentsOfFile: project.dir + "/.repro/repro.intoto.jsonl", encoding: .utf8)
        let lines = bundle.split(separator: "\n")
        #expect(lines.count == 2)
        for (i, line) in lines.enumerated() {
            let path = project.dir + "/envelope\(i).json"
            try String(line).write(toFile: path, atomically: false, encoding: .utf8)
            #expect(try interop.interop(["verify", path, project.dir + "/k.pub"]).status == 0)
        }
    }
}

@Suite struct UnprivilegedCheckTests {
    /// The same check as the user `nobody`: rootless namespaces, its own cache, same digest as root's.
    @Test func checkWorksUnprivilegedWithTheSameDigest() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; id -u > out/uid; echo $SOURCE_DATE_EPOCH > out/epoch\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        let cache = project.dir + "-nobody-cache"
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: cache)
        }
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        let asRoot = try project.check(["--json", "--output", project.dir + "-root-out"])
        try? FileManager.default.removeItem(atPath: project.dir + "-root-out")
        #expect(asRoot.status == 0, "\(asRoot.stderr)")
        #expect(shell("chown -R 65534:65534 '\(project.dir)' '\(cache)'", in: "/") == 0)
        let env = [
            "PATH": "/usr/bin:/bin", "HOME": cache, "REPRO_CACHE": cache,
            "REPRO_TOOLCHAIN_PATH": BusyboxToolchain.shared.specDir,
        ]
        let asNobody = try Shell.run(
            [
                "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", CLI.binary, "check", project.dir,
                "--json",
            ],
            directory: "/", environment: env)
        #expect(asNobody.status == 0, "\(asNobody.stderr)")
        let a = try json(asRoot.stdout)["output_digest"] as? String,
            b = try json(asNobody.stdout)["output_digest"] as? String
        #expect(a != nil && a == b)
        #expect(try String(contentsOfFile: project.dir + "/.repro/out/out/uid", encoding: .utf8) == "1000\n")
    }
}

@Suite struct CommittedExampleBundleTests {
    /// docs/examples/hello-c.intoto.jsonl, written by a real `repro check --sign` of
    /// examples/hello-c, verifies with the public key committed beside it.
    @Test func theRealExampleBundleVerifies() throws {
        let docs = DebianToolchain.repository + "/docs/examples/"
        let result = try CLI.run([
            "verify", docs + "hello-c.intoto.jsonl", "--key", docs + "hello-c.pub", "--require-reproducible", "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try json(result.stdout)
        #expect(String(describing: report).contains("dist/hello-1.0.tar.gz"))
    }
}

@Suite struct InitCLITests {
    @Test func initNamesWhyItCannotWrite() throws {
        let result = try CLI.run(["init", "/nonexistent-repro-dir/x"])
        #expect(result.status == 2)
        #expect(
            result.stderr
                == "repro: error: cannot write /nonexistent-repro-dir/x/repro.toml: No such file or directory. Check that /nonexistent-repro-dir/x exists and is writable.\n"
        )
    }

    /// A `.gitignore` that is not UTF-8 keeps its bytes when the line is added, and is never
    /// replaced by the line alone.
    @Test func initKeepsTheBytesOfAGitignoreThatIsNotUTF8() throws {
        let project = try Project(files: ["build.sh": "true\n"], config: "# mine\n")
        defer { project.remove() }
        let path = project.dir + "/.gitignore"
        let latin1: [UInt8] = Array("# caf".utf8) + [0xE9] + Array("\nbuild/".utf8)
        try Data(latin1).write(to: URL(fileURLWithPath: path))
        let result = try CLI.run(["init", project.dir, "--gitignore"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == latin1 + Array("\n.repro/\n".utf8))
        #expect(try String(contentsOfFile: project.dir + "/repro.toml", encoding: .utf8) == "# mine\n")
    }

    @Test func initWritesAConfigTheCheckReads() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo made > out/x\n"], config: nil, git: true)
        defer { project.remove() }
        let first = try CLI.run(["init", project.dir, "--toolchain", "busybox"])
        #expect(first.status == 0, "\(first.stderr)")
        let text = try String(contentsOfFile: project.dir + "/repro.toml", encoding: .utf8)
        #expect(text.contains("command = [\"sh\", \"build.sh\"]"))
        #expect(text.contains("toolchains = [\"busybox\"]"))
        // It never overwrites without --force.
        let again = try CLI.run(["init", project.dir])
        #expect(again.status == 2)
        #expect(
            again.stderr
                == "repro: error: \(project.dir)/repro.toml already exists; edit it, or pass --force to replace it.\n")
        #expect(first.stderr.contains("to keep them out of git: repro init --gitignore"))
        // --gitignore adds .repro/ once, keeping what the file had, even when repro.toml exists.
        try "build/\nno-newline".write(toFile: project.dir + "/.gitignore", atomically: true, encoding: .utf8)
        for _ in 0..<2 {
            let ignore = try CLI.run(["init", project.dir, "--gitignore"])
            #expect(ignore.status == 0, "\(ignore.stderr)")
        }
        #expect(
            try String(contentsOfFile: project.dir + "/.gitignore", encoding: .utf8) == "build/\nno-newline\n.repro/\n")
        #expect(
            shell("git add .gitignore && git -c user.name=t -c user.email=t@t commit -qm ignore", in: project.dir) == 0)
        // The written file is what the check reads (git supplies the epoch).
        let checked = try project.check(["--json"])
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect((try json(checked.stdout)["assumptions"] as? [String])?.isEmpty == true)
    }
}

@Suite struct HostileProjectTests {
    /// A repository that commits `.repro/logs/run-1.log` as a symlink cannot make repro write
    /// through it.
    @Test func aCommittedSymlinkInDotReproIsRefused() throws {
        let project = try Project(
            files: ["build.sh": "echo overwritten; mkdir -p out; echo x > out/a\n"], config: config)
        defer { project.remove() }
        let victim = project.dir + "-victim.txt"
        defer { try? FileManager.default.removeItem(atPath: victim) }
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: project.dir + "/.repro/logs", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: project.dir + "/.repro/logs/run-1.log", withDestinationPath: victim)
        #expect(
            shell(
                "git init -q . && git add -A -f && git -c user.name=t -c user.email=t@t commit -qm init",
                in: project.dir) == 0)
        _ = try project.check()
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious\n")
        // A symlinked .repro itself is refused outright.
        try FileManager.default.removeItem(atPath: project.dir + "/.repro")
        try FileManager.default.createSymbolicLink(atPath: project.dir + "/.repro", withDestinationPath: "/tmp")
        let result = try project.check()
        #expect(result.status == 2)
        #expect(result.stderr.contains(".repro is not a directory"))
    }

    @Test func outputsNeverReplaceTheProjectOrSomeoneElsesDirectory() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; echo x > out/a\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let intoProject = try project.check(["--output", project.dir])
        #expect(intoProject.status == 2)
        #expect(FileManager.default.fileExists(atPath: project.dir + "/build.sh"))
        let parent = try project.check(["--keep", (project.dir as NSString).deletingLastPathComponent])
        #expect(parent.status == 2)
        let occupied = project.dir + "-occupied"
        try FileManager.default.createDirectory(atPath: occupied, withIntermediateDirectories: true)
        try "mine\n".write(toFile: occupied + "/keep.txt", atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: occupied) }
        let busy = try project.check(["--output", occupied])
        #expect(busy.status == 2)
        #expect(busy.stderr.contains("not empty"))
        #expect(try String(contentsOfFile: occupied + "/keep.txt", encoding: .utf8) == "mine\n")
    }
}

@Suite struct NothingSilentlySkippedTests {
    @Test func anOutputNameThatIsNotUTF8FailsTheBuildInsteadOfVanishing() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; head -c 8 /dev/urandom > \"out/r$(printf '\\377')\"\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let result = try project.check()
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("not valid UTF-8"))
    }

    @Test func aSubmoduleIsRefusedNotDropped() throws {
        let inner = try Project(files: ["lib.c": "int x;\n"], config: nil, git: true)
        let project = try Project(files: ["build.sh": "mkdir -p out; ls lib > out/ls\n"], config: config, git: true)
        defer {
            inner.remove()
            project.remove()
        }
        #expect(
            shell(
                "git -c protocol.file.allow=always submodule add -q '\(inner.dir)' lib >/dev/null 2>&1 && git -c user.name=t -c user.email=t@t commit -qm sub",
                in: project.dir) == 0)
        let result = try project.check()
        #expect(result.status == 2)
        #expect(result.stderr.contains("submodule"))
    }
}

@Suite struct SymlinkedCacheTests {
    @Test func aCacheReachedThroughASymlinkWorks() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; echo x > out/a\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        let real = project.dir + "-cache-real", link = project.dir + "-cache-link"
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: real)
            try? FileManager.default.removeItem(atPath: link)
        }
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: real)
        let result = try project.check(environment: ["REPRO_CACHE": link])
        #expect(result.status == 0, "\(result.stderr)")
        // The cache named was the one used: the toolchain archive and its tree are in it.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: real + "/blobs/sha256")) ?? []).count == 1)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: real + "/trees")) ?? []).count >= 1)
    }
}

@Suite struct PassEnvTests {
    @Test func passedHostVariablesReachTheBuildAndAreRecorded() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; echo \"$RELEASE_CHANNEL\" > out/channel\n"],
            config: config + "\npass_env = [\"RELEASE_CHANNEL\"]\n[source]\ndate_epoch = 1700000000\n")
        defer { project.remove() }
        let result = try project.check(["--json"], environment: ["RELEASE_CHANNEL": "stable-42"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: project.dir + "/.repro/out/out/channel", encoding: .utf8) == "stable-42\n")
        #expect(
            (try json(result.stdout)["normalization"] as? [String: String])?["pass_env.RELEASE_CHANNEL"] == "stable-42")
    }
}

@Suite struct StaleOutputsTests {
    /// A later check may replace outputs an earlier one placed, and withdraws them when it
    /// certifies nothing, so CI never publishes old bytes beside a manifest that says "differ".
    @Test func outputsOfAnEarlierCheckAreReplacedOrWithdrawn() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; echo one > out/a\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        let published = project.dir + "-published"
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: published)
        }
        #expect(try project.check(["--output", published]).status == 0)
        try "mkdir -p out; echo two > out/a\n".write(
            toFile: project.dir + "/build.sh", atomically: false, encoding: .utf8)
        #expect(try project.check(["--output", published]).status == 0)
        #expect(try String(contentsOfFile: published + "/out/a", encoding: .utf8) == "two\n")
        try "mkdir -p out; head -c 16 /dev/urandom > out/a\n".write(
            toFile: project.dir + "/build.sh", atomically: false, encoding: .utf8)
        let differ = try project.check(["--output", published])
        #expect(differ.status == 1)
        #expect(!FileManager.default.fileExists(atPath: published))
        #expect(differ.stderr.contains("removed the outputs an earlier check certified"))
    }
}

/// A parallel check whose every build sleeps for a marker number of seconds (so that its
/// sandboxes' commands can be counted with pgrep), started in the background.
private struct SleepingCheck {
    let marker = String(400 + Int.random(in: 0..<500))
    let project: Project
    let process = Process()

    init(runs: Int) throws {
        project = try Project(
            files: ["build.sh": "mkdir -p out; sleep \(marker); echo x > out/a\n"],
            config: config + "\n[source]\ndate_epoch = 1700000000\n")
        var env = ProcessInfo.processInfo.environment
        env.merge(BusyboxToolchain.shared.environment) { _, new in new }
        process.executableURL = URL(fileURLWithPath: CLI.binary)
        process.arguments = ["check", project.dir, "--parallel", "--runs", String(runs)]
        process.environment = env
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// How many of the builds' commands are running now.
    var sleeping: Int {
        Int(shellOutput("pgrep -c -f '^sleep \(marker)$' || true").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    /// Waits (up to 20 s) until `count` commands run; returns how many do.
    func waitForSleeping(_ count: Int) -> Int {
        var running = 0
        for _ in 0..<400 where running < count {
            running = sleeping
            usleep(50_000)
        }
        return running
    }
}

@Suite struct ParallelTests {
    /// `--parallel` starts every run at once, more runs than this machine has CPUs included.
    @Test func everyRunBuildsAtTheSameTime() throws {
        let runs = ProcessInfo.processInfo.activeProcessorCount + 2
        let check = try SleepingCheck(runs: runs)
        defer { check.project.remove() }
        #expect(check.waitForSleeping(runs) == runs)
        kill(check.process.processIdentifier, SIGTERM)
        check.process.waitUntilExit()
        #expect(check.process.terminationReason == .uncaughtSignal && check.process.terminationStatus == SIGTERM)
    }
}

@Suite struct InterruptTests {
    /// SIGINT ends a parallel check at once, with every sandbox, as a signal death (also when
    /// repro was started with the signal blocked, as Foundation's Process does).
    @Test func sigintStopsAParallelCheckAndEverySandbox() throws {
        let check = try SleepingCheck(runs: 2)
        defer { check.project.remove() }
        // Interrupt once both sandboxes' commands are running.
        #expect(check.waitForSleeping(2) == 2)
        kill(check.process.processIdentifier, SIGINT)
        check.process.waitUntilExit()
        #expect(check.process.terminationReason == .uncaughtSignal && check.process.terminationStatus == SIGINT)
        var left = 1
        for _ in 0..<100 where left > 0 {
            left = check.sleeping
            usleep(50_000)
        }
        #expect(left == 0)
    }
}

func shellOutput(_ script: String) -> String {
    (try? Shell.run(["sh", "-c", script]).stdout) ?? ""
}

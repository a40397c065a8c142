import Foundation
import ReproCore
import Testing

/// A builder's machine and an auditor's, made once for every rebuild test: a busybox toolchain
/// whose archive only the builder has (under A/), a project in A/src with a bare `origin`, a
/// check signed there with cache A/cache, the toolchain exported from that cache into a mirror
/// served by a real HTTP server on 127.0.0.1, and a clone of the project at B/src. After the
/// check the archive is moved away, so on "B" the toolchain is reachable only through the mirror.
struct RebuildFixture: Sendable {
    let dir: String
    /// The builder's bundle.
    let bundle: String
    /// The mirror's base URL (`http://127.0.0.1:PORT`).
    let mirror: String
    /// The mirror directory (`sha256/<hex>`).
    let mirrorDir: String
    /// The toolchain archive's pin.
    let sha: String
    /// The auditor's clone.
    let clone: String
    /// The `origin` remote of the builder's project.
    let origin: String

    nonisolated(unsafe) static var serverPID: pid_t = 0
    nonisolated(unsafe) static var removeAtExit: String?

    static let shared: RebuildFixture = {
        let dir = NSTemporaryDirectory() + "repro-cli-rebuild-" + UUID().uuidString
        let fm = FileManager.default
        try! fm.createDirectory(atPath: dir + "/A/specs", withIntermediateDirectories: true)
        for name in ["builder", "auditor", "other"] {
            let made = try! CLI.run(["keygen", "-o", dir + "/" + name])
            precondition(made.status == 0, made.stderr)
        }
        // The toolchain: busybox, packed, with a spec only the builder's search path holds.
        let tree = (BusyboxToolchain.shared.specDir as NSString).deletingLastPathComponent + "/tree"
        let packed = try! CLI.run(["toolchain", "pack", tree, "-o", dir + "/A/busybox.tar.gz"])
        precondition(packed.status == 0, packed.stderr)
        let sha = String(
            packed.stdout.split(separator: "\n").first { $0.hasPrefix("sha256 ") }!.split(separator: " ")[1])
        try! """
        name = "busybox"
        [[source]]
        url = "file://\(dir)/A/busybox.tar.gz"
        sha256 = "\(sha)"
        mount = "/"
        [env]
        PATH = "/bin"
        """.write(toFile: dir + "/A/specs/busybox.toml", atomically: true, encoding: .utf8)

        // The project, committed, with a bare origin.
        let project = try! Project(
            files: [
                "build.sh": "mkdir -p out\necho \"built at $SOURCE_DATE_EPOCH\" > out/hello.txt\ncp build.sh out/\n"
            ],
            config: """
                [build]
                command = ["sh", "build.sh"]
                outputs = ["out"]
                toolchains = ["busybox"]
                """, git: true, at: dir + "/A/src")
        let origin = dir + "/origin.git"
        precondition(
            shell("git clone -q --bare . '\(origin)' && git remote add origin 'file://\(origin)'", in: project.dir) == 0
        )

        let bundle = dir + "/builder.intoto.jsonl"
        let checked = try! CLI.run(
            ["check", project.dir, "--cache", dir + "/A/cache", "--sign", dir + "/builder.key", "--manifest", bundle],
            environment: ["REPRO_TOOLCHAIN_PATH": dir + "/A/specs"])
        precondition(checked.status == 0, "the builder's check failed: \(checked.stderr)")
        let exported = try! CLI.run(
            ["toolchain", "export", "busybox", "--cache", dir + "/A/cache", "-o", dir + "/mirror"],
            environment: ["REPRO_TOOLCHAIN_PATH": dir + "/A/specs"])
        precondition(
            exported.status == 0 && exported.stdout == dir + "/mirror/sha256/\(sha)\n",
            exported.stdout + exported.stderr)
        try! fm.moveItem(atPath: dir + "/A/busybox.tar.gz", toPath: dir + "/A/busybox.tar.gz.gone")
        precondition(shell("git clone -q '\(origin)' '\(dir)/B/src'", in: dir) == 0)

        // A real HTTP server on 127.0.0.1 serving the mirror directory; it prints its port once
        // it listens, which is when the fixture goes on.
        let server = Process()
        let out = Pipe()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [
            "python3", "-c",
            """
            import functools, http.server, sys
            class H(http.server.SimpleHTTPRequestHandler):
                def log_message(self, *a): pass
            s = http.server.ThreadingHTTPServer(('127.0.0.1', 0), functools.partial(H, directory=sys.argv[1]))
            s.daemon_threads = True
            print(s.server_address[1], flush=True)
            s.serve_forever()
            """, dir + "/mirror",
        ]
        server.standardOutput = out
        try! server.run()
        serverPID = server.processIdentifier
        removeAtExit = dir
        atexit {
            if RebuildFixture.serverPID > 0 { kill(RebuildFixture.serverPID, SIGKILL) }
            if let dir = RebuildFixture.removeAtExit { try? FileManager.default.removeItem(atPath: dir) }
        }
        var bytes = [UInt8]()
        while let byte = out.fileHandleForReading.readData(ofLength: 1).first, byte != 10 { bytes.append(byte) }
        let port = String(decoding: bytes, as: UTF8.self)
        precondition(Int(port) != nil, "the mirror server did not start")
        return RebuildFixture(
            dir: dir, bundle: bundle, mirror: "http://127.0.0.1:\(port)", mirrorDir: dir + "/mirror",
            sha: sha, clone: dir + "/B/src", origin: origin)
    }()

    /// A new empty cache for the auditor.
    func emptyCache() -> String { dir + "/B/cache-" + UUID().uuidString }

    /// `repro rebuild` as the auditor: no spec search path, an empty cache unless given.
    func rebuild(_ extra: [String], bundle: String? = nil, key: String = "builder", cache: String? = nil) throws
        -> CLI.Result
    {
        try CLI.run(
            ["rebuild", bundle ?? self.bundle, "--key", dir + "/" + key + ".pub", "--cache", cache ?? emptyCache()]
                + extra,
            environment: ["REPRO_TOOLCHAIN_PATH": "", "REPRO_MIRRORS": ""])
    }

    /// A copy of the builder's bundle whose provenance predicate `edit` changes, re-signed with
    /// `key`: what a hostile builder hands an auditor told to trust that key.
    func edited(key: String = "other", _ edit: (inout [String: Any]) -> Void) throws -> String {
        let signer = try SigningKey(pemFile: dir + "/" + key + ".key")
        var lines: [String] = []
        for line in try String(contentsOfFile: bundle, encoding: .utf8).split(separator: "\n") {
            let envelope = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let payload = Data(base64Encoded: envelope["payload"] as! String)!
            var statement = try JSONSerialization.jsonObject(with: payload) as! [String: Any]
            if (statement["predicateType"] as? String)?.contains("slsa.dev/provenance") == true {
                var predicate = statement["predicate"] as! [String: Any]
                edit(&predicate)
                statement["predicate"] = predicate
            }
            let bytes = try JSONSerialization.data(
                withJSONObject: statement, options: [.sortedKeys, .withoutEscapingSlashes])
            let signed = try DSSEEnvelope.sign(
                payload: Array(bytes), payloadType: envelope["payloadType"] as! String, key: signer)
            lines.append(String(decoding: signed.jsonLine, as: UTF8.self))
        }
        let path = dir + "/edited-\(UUID().uuidString).intoto.jsonl"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `predicate.buildDefinition`'s member `key`, changed by `change`.
    static func changeDefinition(_ predicate: inout [String: Any], _ key: String, _ change: (inout Any) -> Void) {
        var definition = predicate["buildDefinition"] as! [String: Any]
        var value: Any = definition[key]!
        change(&value)
        definition[key] = value
        predicate["buildDefinition"] = definition
    }

    /// The payload of line `line` of a bundle.
    static func payload(_ bundle: String, line: Int = 0) throws -> JSONValue {
        let text = try String(contentsOfFile: bundle, encoding: .utf8)
        let envelope = try StrictJSON.parse(Data(text.split(separator: "\n")[line].utf8))
        return try StrictJSON.parse(Data(base64Encoded: envelope["payload"]!.stringValue!)!)
    }
}

@Suite struct RebuildCLITests {
    let f = RebuildFixture.shared

    @Test func anAuditorRebuildsFromAnotherCloneWithAnEmptyCacheThroughTheMirror() throws {
        let cache = f.emptyCache()
        let result = try f.rebuild(["--source", f.clone, "--mirror", f.mirror], cache: cache)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("REPRODUCED: all 2 subjects rebuilt bit for bit"))
        // The recorded URL is gone; the archive came from the mirror, into the empty cache.
        #expect(result.stderr.contains("downloading \(f.mirror)/sha256/\(f.sha)"))
        #expect(FileManager.default.fileExists(atPath: cache + "/blobs/sha256/" + f.sha))

        // Without the mirror the toolchain cannot be had: an input error, not a verdict.
        let without = try f.rebuild(["--source", f.clone])
        #expect(without.status == 2, "\(without.stdout)\(without.stderr)")
        #expect(without.stderr.contains("busybox.tar.gz"))
    }

    @Test func withoutSourceTheRecordedGitURLIsClonedAndTheSignedRebuildAgreesWithTheBuilder() throws {
        let own = f.dir + "/rebuild-\(UUID().uuidString).intoto.jsonl"
        let result = try f.rebuild([
            "--mirror", f.mirror, "--sign", f.dir + "/auditor.key", "--manifest", own, "--json",
        ])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let report = try StrictJSON.parse(Data(result.stdout.utf8))
        #expect(report["result"] == "reproduced")
        #expect(report["source"]?["from"] == "clone")
        #expect(report["source"]?["uri"]?.stringValue?.hasPrefix("git+file://\(f.origin)@") == true)
        #expect(
            report["bundle"]?["signers"] == .array([.string(try PublicKey(pemFile: f.dir + "/builder.pub").keyID)]))

        // The rebuild's own bundle: verifiable, naming the original by digest and signer, and
        // in agreement with the builder's under `repro compare`.
        let verified = try CLI.run(["verify", own, "--key", f.dir + "/auditor.pub", "--require-reproducible"])
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
        let predicate = try RebuildFixture.payload(own, line: 1)["predicate"]
        let sum = try Shell.run(["sha256sum", f.bundle]).stdout.split(separator: " ").first.map(String.init)
        #expect(predicate?["rebuildOf"]?["bundle"]?["sha256"]?.stringValue == sum)
        #expect(
            predicate?["rebuildOf"]?["signers"]
                == .array([.string(try PublicKey(pemFile: f.dir + "/builder.pub").keyID)]))
        let compared = try CLI.run([
            "compare", f.bundle, own, "--key", f.dir + "/builder.pub", "--key", f.dir + "/auditor.pub",
        ])
        #expect(compared.status == 0, "\(compared.stdout)\(compared.stderr)")
        #expect(compared.stdout.contains("AGREE: 2 of 2 signers"))
    }

    @Test func oneByteChangedInTheSourceExitsFiveNamingTheFile() throws {
        let copy = f.dir + "/B/changed-" + UUID().uuidString
        #expect(
            shell("git clone -q '\(f.origin)' '\(copy)' && sed -i 's/built at/built At/' '\(copy)/build.sh'", in: f.dir)
                == 0)
        let result = try f.rebuild(["--source", copy, "--mirror", f.mirror])
        #expect(result.status == 5, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("the first differing file is build.sh"))
        #expect(!result.stderr.contains("rebuild: building"))
    }

    @Test func aBundleSignedByAnotherKeyThanTheOneGivenExitsFive() throws {
        let result = try f.rebuild(["--source", f.clone, "--mirror", f.mirror], key: "other")
        #expect(result.status == 5, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("no signature verifies with the given key"))
        #expect(!result.stderr.contains("rebuild: building"))
        // Skipping verification must be asked for: no key at all is a usage error.
        let none = try CLI.run(["rebuild", f.bundle, "--source", f.clone])
        #expect(none.status == 64)
        #expect(none.stderr.contains("--no-verify"))
    }

    @Test func outputsThatDifferExitOneNamingTheFile() throws {
        // A build whose output is new every time: its check differs, and so does its rebuild.
        let project = try Project(
            files: [
                "build.sh":
                    "mkdir -p out\ncat /proc/sys/kernel/random/uuid > out/random.txt\necho same > out/same.txt\n"
            ],
            config: "[build]\ncommand = [\"sh\", \"build.sh\"]\noutputs = [\"out\"]\ntoolchains = [\"busybox\"]\n",
            git: true)
        defer { project.remove() }
        let bundle = f.dir + "/random-\(UUID().uuidString).intoto.jsonl"
        let checked = try project.check(["--sign", f.dir + "/builder.key", "--manifest", bundle])
        #expect(checked.status == 1, "\(checked.stdout)\(checked.stderr)")
        let result = try f.rebuild(["--source", project.dir], bundle: bundle, cache: BusyboxToolchain.shared.cache)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("NOT REPRODUCED: 1 file differs from the signed outputs"))
        #expect(result.stdout.contains("  changed in the rebuild: out/random.txt"))
        #expect(!result.stdout.contains("out/same.txt"))
        // With the original outputs at hand, the first differing byte is found, as a check does.
        let originals = project.dir + "/.repro/runs/run-1"
        let explained = try f.rebuild(
            ["--source", project.dir, "--artifacts", originals, "--json"], bundle: bundle,
            cache: BusyboxToolchain.shared.cache)
        #expect(explained.status == 1)
        let report = try StrictJSON.parse(Data(explained.stdout.utf8))
        #expect(report["differences"]?.arrayValue?.count == 1)
        #expect(report["differences"]?.arrayValue?.first?["path"] == "out/random.txt")
        #expect(report["differences"]?.arrayValue?.first?["first_difference"]?.integerValue != nil)
    }

    @Test func aDirtySourceIsRecordedAsNotRebuildableByOthers() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out\necho x > out/x.txt\n"],
            config: "[build]\ncommand = [\"sh\", \"build.sh\"]\noutputs = [\"out\"]\ntoolchains = [\"busybox\"]\n",
            git: true)
        defer { project.remove() }
        try "mkdir -p out\necho y > out/x.txt\n".write(
            toFile: project.dir + "/build.sh", atomically: true, encoding: .utf8)
        let bundle = f.dir + "/dirty-\(UUID().uuidString).intoto.jsonl"
        let checked = try project.check(["--sign", f.dir + "/builder.key", "--manifest", bundle])
        #expect(checked.status == 0, "\(checked.stderr)")
        #expect(
            checked.stderr.contains(
                "others cannot rebuild this check from its manifest: the source has uncommitted changes"))
        let source = try RebuildFixture.payload(bundle)["predicate"]?["buildDefinition"]?["resolvedDependencies"]?
            .arrayValue?.first { $0["name"] == "source" }
        #expect(source?["annotations"]?["rebuildable"] == .bool(false))
        #expect(source?["uri"]?.stringValue?.hasPrefix("file://") == true)
        #expect(source?["digest"]?["gitCommit"] == nil)
        // Nobody can clone it; a copy of the source still rebuilds.
        let cloned = try f.rebuild([], bundle: bundle, cache: BusyboxToolchain.shared.cache)
        #expect(cloned.status == 2, "\(cloned.stderr)")
        #expect(cloned.stderr.contains("--source DIR"))
        let copied = try f.rebuild(["--source", project.dir], bundle: bundle, cache: BusyboxToolchain.shared.cache)
        #expect(copied.status == 0, "\(copied.stdout)\(copied.stderr)")
    }

    @Test func aCommittedSourceWithoutARemoteIsNotRebuildableUntilASourceURIIsGiven() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out\necho x > out/x.txt\n"],
            config: "[build]\ncommand = [\"sh\", \"build.sh\"]\noutputs = [\"out\"]\ntoolchains = [\"busybox\"]\n",
            git: true)
        defer { project.remove() }
        let bundle = f.dir + "/noremote-\(UUID().uuidString).intoto.jsonl"
        let checked = try project.check(["--manifest", bundle])
        #expect(checked.stderr.contains("no remote named origin"))
        let source = try RebuildFixture.payload(bundle)["predicate"]?["buildDefinition"]?["resolvedDependencies"]?
            .arrayValue?.first { $0["name"] == "source" }
        #expect(source?["annotations"]?["rebuildable"] == .bool(false))
        #expect(source?["digest"]?["gitCommit"]?.stringValue?.count == 40)

        let given = try project.check(["--manifest", bundle, "--source-uri", "https://example.com/p.git"])
        #expect(!given.stderr.contains("others cannot rebuild"))
        let uri = try RebuildFixture.payload(bundle)["predicate"]?["buildDefinition"]?["resolvedDependencies"]?
            .arrayValue?.first { $0["name"] == "source" }?["uri"]
        #expect(uri?.stringValue?.hasPrefix("git+https://example.com/p.git@") == true)
    }

    @Test func aMirrorServingWrongBytesIsSkippedForTheNextAndAloneIsAPinMismatch() throws {
        let bad = f.dir + "/bad-mirror-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: bad + "/sha256", withIntermediateDirectories: true)
        try "not the archive".write(toFile: bad + "/sha256/" + f.sha, atomically: true, encoding: .utf8)
        let result = try f.rebuild(["--source", f.clone, "--mirror", "file://" + bad, "--mirror", f.mirror])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("file://\(bad)/sha256/\(f.sha)"))
        #expect(result.stderr.contains("pin mismatch"))
        let only = try CLI.run(
            ["rebuild", f.bundle, "--key", f.dir + "/builder.pub", "--cache", f.emptyCache(), "--source", f.clone],
            environment: ["REPRO_TOOLCHAIN_PATH": "", "REPRO_MIRRORS": "file://" + bad])
        #expect(only.status == 5, "\(only.stderr)")
        #expect(only.stderr.contains("no location served the archive"))
    }

    /// A bundle cannot choose the sandbox a rebuild runs in by recording a profile file's path
    /// (for example one inside a toolchain it has just had unpacked into the cache): only the
    /// built-in profiles, or a file the auditor names with --profile, are looked up by digest.
    @Test func aProfilePathRecordedInTheBundleIsNeverRead() throws {
        var text = Profile.builtinText("default")!
        text = text.replacingOccurrences(of: "timeout_seconds = 3600", with: "timeout_seconds = 3599")
        let file = f.dir + "/own-profile-\(UUID().uuidString).toml"
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        let digest = String(shellOutput("sha256sum '\(file)'").prefix(64))
        let bundle = try f.edited { predicate in
            RebuildFixture.changeDefinition(&predicate, "resolvedDependencies") { value in
                value = (value as! [[String: Any]]).map { dependency in
                    guard dependency["name"] as? String == "profile" else { return dependency }
                    var changed = dependency
                    changed["uri"] = "file://" + file
                    changed["digest"] = ["sha256": digest]
                    return changed
                }
            }
        }
        let refused = try f.rebuild(["--source", f.clone, "--mirror", f.mirror], bundle: bundle, key: "other")
        #expect(refused.status == 2, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("no built-in sandbox profile of this repro"))
        #expect(refused.stderr.contains("pass it with --profile FILE"))
        // Named by the auditor, with the recorded digest, it is used.
        let given = try f.rebuild(
            ["--source", f.clone, "--mirror", f.mirror, "--profile", file], bundle: bundle, key: "other")
        #expect(given.status == 0, "\(given.stdout)\(given.stderr)")
    }

    /// The recorded configuration is validated as a repro.toml is: no timeout of 0 (none) or one
    /// so large that the deadline would overflow.
    @Test(arguments: [0, Int.max])
    func aRecordedTimeoutOutsideTheLimitsIsRefused(timeout: Int) throws {
        let bundle = try f.edited { predicate in
            RebuildFixture.changeDefinition(&predicate, "externalParameters") { value in
                var parameters = value as! [String: Any]
                var config = parameters["config"] as! [String: Any]
                var build = config["build"] as! [String: Any]
                build["timeout"] = timeout
                config["build"] = build
                parameters["config"] = config
                value = parameters
            }
        }
        let result = try f.rebuild(["--source", f.clone, "--mirror", f.mirror], bundle: bundle, key: "other")
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("records a project configuration repro does not accept"))
        #expect(result.stderr.contains("'build.timeout' must be a positive number of seconds up to 604800"))
    }

    /// A recorded subdirectory that the commit holds as a symbolic link (to /etc here) would lead
    /// the snapshot out of the clone: it must be a directory of the commit.
    @Test func aSourceSubdirectoryThatIsASymlinkInTheCommitIsRefused() throws {
        let repo = f.dir + "/symlinked-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: repo, withIntermediateDirectories: true)
        #expect(
            shell(
                "git init -q . && ln -s /etc sub && git add sub && git -c user.name=t -c user.email=t@t commit -qm s && git clone -q --bare . ../\((repo as NSString).lastPathComponent).git",
                in: repo) == 0)
        let head = try String(
            contentsOfFile: repo + "/.git/refs/heads/"
                + (shellOutput("git -C '\(repo)' symbolic-ref --short HEAD").trimmingCharacters(
                    in: .whitespacesAndNewlines)),
            encoding: .utf8
        )
        .trimmingCharacters(in: .whitespacesAndNewlines)
        let bundle = try f.edited { predicate in
            RebuildFixture.changeDefinition(&predicate, "resolvedDependencies") { value in
                value = (value as! [[String: Any]]).map { dependency in
                    var digest = dependency["digest"] as! [String: Any]
                    guard digest["gitCommit"] != nil || (dependency["uri"] as? String)?.hasPrefix("git+") == true else {
                        return dependency
                    }
                    var changed = dependency
                    changed["uri"] = "git+file://\(repo).git@\(head)#sub"
                    digest["gitCommit"] = head
                    changed["digest"] = digest
                    return changed
                }
            }
        }
        let result = try f.rebuild(["--mirror", f.mirror], bundle: bundle, key: "other")
        #expect(result.status == 5, "\(result.stdout)\(result.stderr)")
        #expect(
            result.stderr.contains("records the source subdirectory sub, which is not a directory in commit \(head)"))
        #expect(!result.stderr.contains("files from"))
    }
}

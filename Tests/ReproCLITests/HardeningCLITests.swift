import Foundation
import Testing

/// A check of `build.sh` with the busybox toolchain, its outputs in `out/`.
private let outConfig = ProjectConfigText.busyboxOut

/// The same with every created or changed file as output.
private let zeroOutputsConfig = ProjectConfigText.busybox(outputs: nil)

private func leftovers(in directory: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter {
        $0.contains(".new-") || $0.contains(".old-")
    }
}

@Suite struct EmptyOutputTests {
    /// Zero-byte outputs (stamp files, `__init__.py`) are certified, declared or not.
    @Test(arguments: [outConfig, zeroOutputsConfig])
    func emptyOutputFilesAreCertified(config: String) throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out && : > out/empty && echo hi > out/x\n"], config: config)
        defer { project.remove() }
        let result = try project.check(["--json"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let outputs = (try json(result.stdout)["outputs"] as? [[String: Any]]) ?? []
        let empty = outputs.first { $0["path"] as? String == "out/empty" }
        #expect(empty?["sha256"] as? String == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(empty?["size"] as? Int == 0)
        #expect(FileManager.default.fileExists(atPath: project.dir + "/.repro/out/out/empty"))
        #expect(FileManager.default.fileExists(atPath: project.dir + "/.repro/repro.intoto.jsonl"))
        #expect(leftovers(in: project.dir + "/.repro") == [])
    }

    /// A build that certifies nothing fails: an empty certificate must not pass a gate.
    @Test(arguments: [(zeroOutputsConfig, "true\n"), (outConfig, "mkdir -p out/empty-dir\n")])
    func aBuildWithNoOutputsFails(config: String, script: String) throws {
        let project = try Project(files: ["build.sh": script], config: config)
        defer { project.remove() }
        let result = try project.check(["--json"])
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        let report = try json(result.stdout)
        #expect(report["verdict"] as? String == "build-failed")
        #expect(report["output_digest"] == nil)
        let failures = (report["runs"] as? [[String: Any]] ?? []).compactMap { $0["failure"] as? String }
        #expect(failures.count == 2 && failures.allSatisfy { $0.contains("produced no outputs") }, "\(failures)")
        #expect(!FileManager.default.fileExists(atPath: project.dir + "/.repro/out"))
    }
}

@Suite struct OutputDestinationTests {
    /// `--output` never replaces a file or a symlink: user data stays.
    @Test func anExistingFileOrSymlinkIsRefused() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/a\n"], config: outConfig)
        let file = project.dir + "-notes.txt", link = project.dir + "-link", target = project.dir + "-target"
        defer {
            project.remove()
            for path in [file, link, target] { try? FileManager.default.removeItem(atPath: path) }
        }
        try "my notes\n".write(toFile: file, atomically: false, encoding: .utf8)
        let onFile = try project.check(["--output", file])
        #expect(onFile.status == 2, "\(onFile.stderr)")
        #expect(onFile.stderr.contains("is a regular file, not a directory"), "\(onFile.stderr)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "my notes\n")
        #expect(!onFile.stderr.contains("run 1/2"))

        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try "mine\n".write(toFile: target + "/keep", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let onLink = try project.check(["--output", link])
        #expect(onLink.status == 2, "\(onLink.stderr)")
        #expect(onLink.stderr.contains("is a symbolic link, not a directory"), "\(onLink.stderr)")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        #expect(try String(contentsOfFile: target + "/keep", encoding: .utf8) == "mine\n")
    }

    /// The default `.repro/out` is refused as well when it is not a real directory (a symlink a
    /// repository committed), and what it points to is untouched.
    @Test func aSymlinkedDefaultOutputIsRefused() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/a\n"], config: outConfig)
        let target = project.dir + "-elsewhere"
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: target)
        }
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try "mine\n".write(toFile: target + "/keep", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: project.dir + "/.repro", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project.dir + "/.repro/out", withDestinationPath: target)
        let result = try project.check()
        #expect(result.status == 2, "\(result.stderr)")
        #expect(try String(contentsOfFile: target + "/keep", encoding: .utf8) == "mine\n")
    }

    /// A repository cannot make repro treat someone else's directory as its own by committing
    /// `.repro/` bookkeeping: a non-empty directory repro did not place is never replaced.
    @Test func committedBookkeepingAuthorizesNothing() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/a\n"], config: outConfig)
        let victim = project.dir + "-victim"
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: victim)
        }
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        try "precious\n".write(toFile: victim + "/data", atomically: false, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: project.dir + "/.repro", withIntermediateDirectories: true)
        try (victim + "\n").write(toFile: project.dir + "/.repro/placed-outputs", atomically: false, encoding: .utf8)
        #expect(
            shell(
                "git init -q . && git add -A -f && git -c user.name=t -c user.email=t@t commit -qm init",
                in: project.dir) == 0)
        let result = try project.check(["--output", victim])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("is not exactly what an earlier check placed there"), "\(result.stderr)")
        #expect(try String(contentsOfFile: victim + "/data", encoding: .utf8) == "precious\n")
        // The destination is refused before the source is read; a check that goes on warns
        // about the tracked bookkeeping.
        let onward = try project.check()
        #expect(onward.stderr.contains("git tracks 1 file below .repro/"), "\(onward.stderr)")
        #expect(try String(contentsOfFile: victim + "/data", encoding: .utf8) == "precious\n")
    }

    /// Outputs a check placed are replaced by the next check only while they are exactly what was
    /// placed: a file added there since makes the directory the user's again.
    @Test func placedOutputsChangedSinceAreNotReplacedOrWithdrawn() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo one > out/a\n"], config: outConfig)
        let published = project.dir + "-published"
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: published)
        }
        #expect(try project.check(["--output", published]).status == 0)
        #expect(try project.check(["--output", published]).status == 0)
        try "added by hand\n".write(toFile: published + "/notes", atomically: false, encoding: .utf8)
        let replaced = try project.check(["--output", published])
        #expect(replaced.status == 2, "\(replaced.stderr)")
        try "mkdir -p out; head -c 16 /dev/urandom > out/a\n".write(
            toFile: project.dir + "/build.sh", atomically: false, encoding: .utf8)
        try FileManager.default.removeItem(atPath: published + "/notes")
        try "changed by hand\n".write(toFile: published + "/out/a", atomically: false, encoding: .utf8)
        // The outputs differ (exit 1 would withdraw placed outputs), but these are not repro's any more.
        let differ = try project.check(["--output", published])
        #expect(differ.status == 2, "\(differ.stderr)")
        #expect(try String(contentsOfFile: published + "/out/a", encoding: .utf8) == "changed by hand\n")
    }
}

@Suite struct ProjectProfileTests {
    private static let weakProfile: String = {
        // The built-in default with another host name: enough to see which profile won.
        let text = try! String(contentsOfFile: repository + "/profiles/default.toml", encoding: .utf8)
        return text.replacingOccurrences(of: "hostname = \"repro\"", with: "hostname = \"project-profile\"")
    }()

    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    /// A `profiles/default.toml` in the project (or the current directory) never replaces the
    /// built-in `default`; the manifest records which profile ran by the digest of its text.
    @Test func aProjectCannotReplaceABuiltinProfile() throws {
        #expect(Self.weakProfile.contains("project-profile"))
        let project = try Project(
            files: ["build.sh": "mkdir -p out; hostname > out/host\n", "profiles/default.toml": Self.weakProfile],
            config: outConfig)
        defer { project.remove() }
        var env = BusyboxToolchain.shared.environment
        env["PWD"] = project.dir
        let result = try CLI.run(["check", project.dir, "--json"], environment: env, directory: project.dir)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: project.dir + "/.repro/out/out/host", encoding: .utf8) == "repro\n")
        let builtin = try String(contentsOfFile: Self.repository + "/profiles/default.toml", encoding: .utf8)
        let digest = try json(result.stdout)["profile_sha256"] as? String
        #expect(digest == sha256(builtin))
        let manifest = try String(contentsOfFile: project.dir + "/.repro/repro.intoto.jsonl", encoding: .utf8)
        #expect(
            provenanceDependencies(manifest).contains {
                $0["name"] as? String == "profile" && ($0["digest"] as? [String: String])?["sha256"] == digest
            })

        // `repro run` from the project directory, too.
        let run = try CLI.run(["run", "--tree", SandboxFixture.tree, "--", "hostname"], directory: project.dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "repro\n")
    }

    /// Named by path, a project's profile is used, and its own digest is recorded.
    @Test func aProfileNamedByPathIsUsedAndRecorded() throws {
        let project = try Project(
            files: ["build.sh": "mkdir -p out; hostname > out/host\n", "sandbox/mine.toml": Self.weakProfile],
            config: outConfig.replacingOccurrences(
                of: "toolchains = [\"busybox\"]", with: "toolchains = [\"busybox\"]\nprofile = \"sandbox/mine.toml\""))
        defer { project.remove() }
        let result = try project.check(["--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            try String(contentsOfFile: project.dir + "/.repro/out/out/host", encoding: .utf8) == "project-profile\n")
        #expect(try json(result.stdout)["profile_sha256"] as? String == sha256(Self.weakProfile))
    }
}

@Suite struct CallerGitEnvironmentTests {
    /// Run from a git hook, repro still reads the project's own repository, not the one the
    /// caller's GIT_DIR and GIT_INDEX_FILE point at.
    @Test func gitLocationVariablesOfTheCallerAreIgnored() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; ls > out/ls\n"], config: outConfig, git: true)
        let other = try Project(files: ["unrelated.txt": "x\n"], config: nil, git: true)
        defer {
            project.remove()
            other.remove()
        }
        let result = try project.check(
            ["--json"],
            environment: [
                "GIT_DIR": other.dir + "/.git", "GIT_INDEX_FILE": other.dir + "/.git/index",
                "GIT_WORK_TREE": other.dir,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            try String(contentsOfFile: project.dir + "/.repro/out/out/ls", encoding: .utf8)
                == "build.sh\nout\nrepro.toml\n")
        #expect((try json(result.stdout)["source"] as? [String: Any])?["selection"] as? String == "git")
    }
}

/// Writes a git index (version 2) at `index` listing `paths` (blob ids and stat data made up),
/// with the trailing SHA-1 git checks: git itself refuses to write such paths, a hostile
/// repository need not.
private func writeGitIndex(_ index: String, paths: [String]) {
    let script = """
        import hashlib, struct, sys
        out = bytearray(b"DIRC" + struct.pack(">II", 2, len(sys.argv) - 2))
        for path in sorted(sys.argv[2:], key=lambda p: p.encode()):
            name = path.encode()
            entry = struct.pack(">10I", 0, 0, 0, 0, 0, 0, 0o100644, 0, 0, 0) + hashlib.sha1(name).digest() + struct.pack(">H", min(len(name), 0xFFF)) + name
            entry += b"\\0" * (8 - len(entry) % 8)
            out += entry
        out += hashlib.sha1(out).digest()
        open(sys.argv[1], "wb").write(out)
        """
    let result = try! Shell.run(["python3", "-c", script, index] + paths)
    precondition(result.status == 0, result.stderr)
}

@Suite struct HostileWorkTreeTests {
    /// A path with '..' in the git index never makes repro read or write outside the project
    /// and the snapshot (it was a way to create files anywhere on the host, as root).
    @Test func anIndexPathWithDotDotIsRefused() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/a\n"], config: outConfig, git: true)
        let outside = project.dir + "-outside"
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: outside)
        }
        let escape = String(repeating: "../", count: 40) + String(outside.dropFirst()) + "/evil"
        writeGitIndex(project.dir + "/.git/index", paths: ["build.sh", "repro.toml", "sub/" + escape])
        #expect(shell("git ls-files | grep -q evil", in: project.dir) == 0, "git does not list the crafted path")
        let result = try project.check()
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("unsafe path"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: outside))
    }

    /// A tracked file below a directory that the work tree replaced by a symlink is not there, as
    /// git sees it: the host file the symlink reaches never enters the build.
    @Test func aTrackedPathBelowASymlinkIsNotFollowed() throws {
        let secret = NSTemporaryDirectory() + "repro-secret-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: secret, withIntermediateDirectories: true)
        try "host secret\n".write(toFile: secret + "/key", atomically: false, encoding: .utf8)
        let project = try Project(
            files: [
                "build.sh": "mkdir -p out; cat e/key > out/key 2>/dev/null; ls e > out/ls 2>&1; echo done > out/done\n",
                "e/key": "committed\n",
            ],
            config: outConfig, git: true)
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: secret)
        }
        try FileManager.default.removeItem(atPath: project.dir + "/e")
        try FileManager.default.createSymbolicLink(atPath: project.dir + "/e", withDestinationPath: secret)
        let result = try project.check()
        #expect(result.status == 0, "\(result.stderr)")
        let key = try? String(contentsOfFile: project.dir + "/.repro/out/out/key", encoding: .utf8)
        #expect(key == "", "the build read \(key ?? "nothing")")
        #expect(!(try String(contentsOfFile: project.dir + "/.repro/out/out/ls", encoding: .utf8)).contains("key"))
    }

    /// An index listing a symlink and a path below it cannot make repro write through the
    /// symlink it just made in the snapshot.
    @Test func aPathBelowATrackedSymlinkIsRefused() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/a\n"], config: outConfig, git: true)
        let outside = project.dir + "-via-link"
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: outside)
        }
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project.dir + "/a", withDestinationPath: outside)
        try FileManager.default.createDirectory(atPath: project.dir + "/real", withIntermediateDirectories: true)
        try "payload\n".write(toFile: project.dir + "/real/b", atomically: false, encoding: .utf8)
        // "a" is the symlink; "a/b" would be read through it on the host side, so point the
        // work tree's "a" at a directory holding b, and expect nothing written to `outside`.
        try FileManager.default.removeItem(atPath: project.dir + "/a")
        try FileManager.default.createSymbolicLink(atPath: project.dir + "/a", withDestinationPath: "real")
        writeGitIndex(project.dir + "/.git/index", paths: ["a", "a/b", "build.sh", "repro.toml"])
        let result = try project.check()
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: outside)) ?? []).isEmpty)
        // "a/b" lies below a symlink in the work tree: it is not there, as git sees it.
        #expect(result.status == 0, "\(result.stderr)")
    }
}

@Suite struct UnicodePathTests {
    /// A combining mark after a '/' (or a prepended mark before one) hides the separator from
    /// Swift's Character-based splitting, not from the kernel: the symlink before it is still
    /// never followed.
    @Test(arguments: ["L/\u{301}q", "L\u{600}/q"])
    func aHiddenSeparatorDoesNotFollowASymlink(path: String) throws {
        let link = String(path.utf8.split(separator: UInt8(ascii: "/"))[0])!
        let name = String(path.utf8.split(separator: UInt8(ascii: "/"))[1])!
        let outside = NSTemporaryDirectory() + "repro-outside-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: outside, withIntermediateDirectories: true)
        try "host secret\n".write(toFile: outside + "/" + name, atomically: false, encoding: .utf8)
        let project = try Project(
            files: ["build.sh": "mkdir -p out; cat L*/* > out/leak 2>/dev/null; echo done > out/done\n"],
            config: outConfig, git: true)
        defer {
            project.remove()
            try? FileManager.default.removeItem(atPath: outside)
        }
        try FileManager.default.createSymbolicLink(atPath: project.dir + "/" + link, withDestinationPath: outside)
        writeGitIndex(project.dir + "/.git/index", paths: ["build.sh", "repro.toml", path])
        let result = try project.check()
        #expect(result.status == 0, "\(result.stderr)")
        #expect((try? String(contentsOfFile: project.dir + "/.repro/out/out/leak", encoding: .utf8)) == "")
    }

    /// Two tracked names that differ only in Unicode normalization are refused, not merged into one.
    @Test func namesInTwoNormalizationsAreRefused() throws {
        let nfc = "caf\u{e9}", nfd = "cafe\u{301}"
        #expect(nfc == nfd && Array(nfc.utf8) != Array(nfd.utf8))
        // Not a dictionary literal: its keys would be equal too.
        let project = try Project(files: ["build.sh": "mkdir -p out; ls > out/ls\n"], config: outConfig)
        defer { project.remove() }
        try "one\n".write(toFile: project.dir + "/" + nfc, atomically: false, encoding: .utf8)
        try "two\n".write(toFile: project.dir + "/" + nfd, atomically: false, encoding: .utf8)
        #expect(
            shell(
                "git init -q . && git add -A && git -c user.name=t -c user.email=t@t commit -qm init", in: project.dir)
                == 0)
        #expect(shell("git ls-files | wc -l | grep -qx 4", in: project.dir) == 0, "git does not track both names")
        let result = try project.check()
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("two Unicode normalizations"), "\(result.stderr)")
    }

    /// A symlink whose target is not UTF-8 is refused: copied as text it would point elsewhere.
    @Test func aSymlinkTargetThatIsNotUTF8IsRefused() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/a\n"], config: outConfig, git: false)
        defer { project.remove() }
        #expect(shell("ln -s \"$(printf 'x\\377')\" link", in: project.dir) == 0)
        let result = try project.check()
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("not valid UTF-8"), "\(result.stderr)")
    }
}

@Suite struct SandboxSetupFailureTests {
    /// A sandbox that cannot be set up as the profile asks (here: its open-files limit is above
    /// the hard limit repro was started with) is exit 4, never a failed build (exit 3).
    @Test func aSandboxThatCannotApplyTheProfileIsExitFour() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; echo x > out/a\n"], config: outConfig)
        defer { project.remove() }
        var env = ProcessInfo.processInfo.environment
        env.merge(BusyboxToolchain.shared.environment) { _, new in new }
        let result = try Shell.run(["prlimit", "--nofile=256:256", CLI.binary, "check", project.dir], environment: env)
        #expect(result.status == 4, "\(result.stderr)")
        #expect(result.stderr.contains("setting up the sandbox failed"), "\(result.stderr)")
    }
}

@Suite struct ForeignRepositoryTests {
    /// A work tree owned by another user, which git refuses to read, is an error that says what
    /// to do: never a snapshot of every file, untracked ones included.
    @Test(.enabled(if: getuid() == 0)) func aRepositoryGitRefusesIsNotSnapshottedAsAPlainDirectory() throws {
        let project = try Project(files: ["build.sh": "mkdir -p out; ls > out/ls\n"], config: outConfig, git: true)
        defer { project.remove() }
        try "stray\n".write(toFile: project.dir + "/untracked.txt", atomically: false, encoding: .utf8)
        #expect(shell("chown -R 65534:65534 .", in: project.dir) == 0)
        let result = try project.check(environment: ["HOME": project.dir + "-home", "GIT_CONFIG_NOSYSTEM": "1"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("safe.directory"), "\(result.stderr)")
    }
}

@Suite struct ProjectLockTests {
    /// Two checks of one project never run at once: the second waits, or with `--no-wait` fails.
    @Test func aSecondCheckOfTheSameProjectWaitsOrFails() throws {
        let marker = String(1400 + Int.random(in: 0..<500))
        let project = try Project(
            files: ["build.sh": "mkdir -p out; sleep \(marker); echo x > out/a\n"],
            config: outConfig.replacingOccurrences(of: "[source]", with: "timeout = 60\n[source]"))
        defer { project.remove() }
        var env = ProcessInfo.processInfo.environment
        env.merge(BusyboxToolchain.shared.environment) { _, new in new }
        let first = Process()
        first.executableURL = URL(fileURLWithPath: CLI.binary)
        first.arguments = ["check", project.dir]
        first.environment = env
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        defer {
            if first.isRunning {
                kill(first.processIdentifier, SIGTERM)
                first.waitUntilExit()
            }
        }
        var sleeping = false
        for _ in 0..<400 where !sleeping {
            sleeping = shellOutput("pgrep -f '^sleep \(marker)$' || true").contains(where: \.isNumber)
            if !sleeping { usleep(50_000) }
        }
        #expect(sleeping, "the first check's build never started")
        let second = try project.check(["--no-wait"])
        #expect(second.status == 2, "\(second.stderr)")
        #expect(second.stderr.contains("another repro check of"), "\(second.stderr)")
        #expect(!second.stderr.contains("run 1/2"))
    }
}

@Suite struct TerminalEscapeTests {
    /// A name the build chose cannot rewrite what a person reads: a carriage return and an escape
    /// sequence are shown escaped in human output, and only JSON-escaped in `--json`.
    @Test func controlCharactersInOutputNamesAreEscaped() throws {
        let project = try Project(
            files: [
                "build.sh": "mkdir -p out; head -c 8 /dev/urandom > \"out/a$(printf '\\r\\033[2K')REPRODUCIBLE\"\n"
            ],
            config: outConfig)
        defer { project.remove() }
        let human = try project.check()
        #expect(human.status == 1, "\(human.stderr)")
        #expect(!human.stdout.contains("\r") && !human.stdout.contains("\u{1b}"))
        #expect(!human.stderr.contains("\r") && !human.stderr.contains("\u{1b}"))
        #expect(human.stdout.contains("out/a\\r\\e[2KREPRODUCIBLE"), "\(human.stdout)")
        let machine = try project.check(["--json"])
        #expect(machine.status == 1)
        let paths = (try json(machine.stdout)["differences"] as? [[String: Any]] ?? []).compactMap {
            $0["path"] as? String
        }
        #expect(paths.contains("out/a\r\u{1b}[2KREPRODUCIBLE"), "\(paths)")
    }
}

/// The SLSA provenance's resolved dependencies of a manifest (its first line's payload).
func provenanceDependencies(_ manifest: String) -> [[String: Any]] {
    guard let line = manifest.split(separator: "\n").first,
        let envelope = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
        let payload = (envelope["payload"] as? String).flatMap({ Data(base64Encoded: $0) }),
        let statement = try? JSONSerialization.jsonObject(with: payload) as? [String: Any],
        let predicate = statement["predicate"] as? [String: Any],
        let definition = predicate["buildDefinition"] as? [String: Any]
    else { return [] }
    return definition["resolvedDependencies"] as? [[String: Any]] ?? []
}

/// The SHA-256 hex of a text's UTF-8 bytes, by sha256sum.
func sha256(_ text: String) -> String {
    let file = NSTemporaryDirectory() + "repro-sha-" + UUID().uuidString
    defer { try? FileManager.default.removeItem(atPath: file) }
    try! text.write(toFile: file, atomically: false, encoding: .utf8)
    return String(shellOutput("sha256sum '\(file)'").prefix(64))
}
